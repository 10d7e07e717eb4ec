namespace Osprey.Detection.OpenIoc;

/// <summary>The type of an IndicatorItem's Content, which decides how values compare.</summary>
public enum IocDataType
{
    String,
    Int,
    Double,
    Date,
    Duration,
    Bool,
    Md5,
    Sha1,
    Sha256,
    Ip,
}
