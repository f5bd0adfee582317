using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Workers.Integration.Tests;

/// <summary>Posts a request with the curl command line, as a user or a CI job would post to the intake.</summary>
internal static class Curl
{
    /// <summary>POSTs <paramref name="body"/> byte for byte with <paramref name="headers"/>; the status code and the response body.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> PostAsync(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, body);
        try
        {
            var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "--silent", "--show-error", "--max-time", "30", "--write-out", "\n%{http_code}", "--data-binary", "@" + file })
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var (name, value) in headers)
            {
                start.ArgumentList.Add("--header");
                start.ArgumentList.Add($"{name}: {value}");
            }

            start.ArgumentList.Add(url.ToString());
            using var curl = Process.Start(start) ?? throw new InvalidOperationException("curl did not start; scripts/test-env.sh installs it");
            var output = await curl.StandardOutput.ReadToEndAsync();
            var error = await curl.StandardError.ReadToEndAsync();
            await curl.WaitForExitAsync();
            if (curl.ExitCode != 0)
            {
                throw new InvalidOperationException($"curl exited {curl.ExitCode}: {error}");
            }

            var split = output.LastIndexOf('\n');
            return ((HttpStatusCode)int.Parse(output[(split + 1)..], CultureInfo.InvariantCulture), output[..split]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
