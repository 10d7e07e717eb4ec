namespace Osprey.Detection.OpenIoc;

/// <summary>The OpenIOC schema a document follows, told by its root element's namespace.</summary>
public enum IocVersion
{
    /// <summary><c>ioc</c> in http://schemas.mandiant.com/2010/ioc.</summary>
    OpenIoc10,

    /// <summary><c>OpenIOC</c> in http://openioc.org/schemas/OpenIOC_1.1.</summary>
    OpenIoc11,
}
