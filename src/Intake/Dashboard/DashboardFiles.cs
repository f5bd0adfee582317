using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Workers.Intake.Dashboard;

/// <summary>
/// The web dashboard: a few static files embedded in this assembly, served at <c>/ui/</c> (and <c>/</c> sends there).
/// They hold no data and need no token; the page asks for one and sends it as a bearer token to the API, like any other
/// client. Every answer carries a Content-Security-Policy that allows only this origin's scripts, styles and API (no
/// inline script, no other site), and may not be framed.
/// </summary>
public static class DashboardFiles
{
    /// <summary>The policy every dashboard answer carries.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string Prefix = "dashboard/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, byte[]> Files = Load();

    /// <summary>Maps <c>/</c> (a redirect), <c>/ui/</c> (the page; <c>/ui</c> too) and <c>/ui/{file}</c>.</summary>
    public static IEndpointRouteBuilder MapWorkersDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (HttpContext context) =>
        {
            Secure(context.Response);
            return Results.Redirect("/ui/");
        });
        endpoints.MapGet("/ui/", (HttpContext context) => ServeAsync(context, "index.html"));
        endpoints.MapGet("/ui/{file}", (HttpContext context, string file) => ServeAsync(context, file));
        return endpoints;
    }

    private static async Task ServeAsync(HttpContext context, string file)
    {
        var response = context.Response;
        Secure(response);
        if (!Files.TryGetValue(file, out var content) || !ContentTypes.TryGetValue(Path.GetExtension(file), out var type))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        response.ContentType = type;
        response.ContentLength = content.Length;
        await response.Body.WriteAsync(content, context.RequestAborted);
    }

    private static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-cache";
    }

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardFiles).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[Prefix.Length..]] = copy.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
