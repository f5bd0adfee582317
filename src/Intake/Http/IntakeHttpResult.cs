using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Workers.Intake.Http;

/// <summary>
/// Writes an <see cref="IntakeResult"/>: as a minimal-API <see cref="IResult"/> in the self-hosted intake and as an
/// MVC <see cref="IActionResult"/> in the Azure Functions app, with the same JSON either way.
/// </summary>
public sealed class IntakeHttpResult(IntakeResult result) : IResult, IActionResult
{
    /// <summary>camelCase, enums by name: the shape of the CLI's <c>--format json</c>.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public IntakeResult Result { get; } = result;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = Result.Status;
        response.ContentType = Result.Body is ProblemDetails ? "application/problem+json" : "application/json; charset=utf-8";
        if (Result.Location is { } location)
        {
            response.Headers.Location = location;
        }

        foreach (var (name, value) in Result.Headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        await JsonSerializer.SerializeAsync(response.Body, Result.Body, Result.Body.GetType(), Json, httpContext.RequestAborted);
    }

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }
}
