namespace Osprey.Node.Hosting;

/// <summary>ProblemDetails results with the node's titles.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    public static IResult Unauthorized(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Not authenticated");

    public static IResult Forbidden(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Not allowed");

    public static IResult NotFound(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Conflict(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static IResult TooLarge(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large");

    public static IResult Unavailable(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable");
}
