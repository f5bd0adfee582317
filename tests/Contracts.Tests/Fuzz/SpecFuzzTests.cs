using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Workers.Contracts.Spec;

namespace Workers.Contracts.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of the spec parser for a bounded time in every test run, seeded from the examples and from every
/// input that ever crashed it. A crashing input is written to Fuzz/regressions and the test fails; committed, it is a
/// regression case for good.
/// </summary>
public sealed class SpecFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("WORKERS_FUZZ_SECONDS"), out var seconds) ? seconds : 10);

    private static readonly string[] Tokens =
    [
        "\n", ": ", "- ", "[", "]", "{", "}", ",", "\"", "'", "&a ", "*a", "!!str ", "---\n", "? ", "|\n", ">\n", "#", "\t", "\0",
        "\\u0000", "\\uD800", "99999999999999999999", "-1", "0x1F", "1e400", ".inf", "~", "null", "true", "\u00e9", "\ud83d\ude00",
        "name", "image", "ports", "container", "host", "healthCheck", "resources", "memory", "cpu",
    ];

    [Fact]
    public void Parse_RegressionInputs_ReportWithoutThrowing()
    {
        foreach (var file in Directory.EnumerateFiles(RegressionDirectory()))
        {
            var result = SpecParser.Parse(File.ReadAllBytes(file), Path.GetFileName(file));
            Assert.True(result.IsValid || result.Problems.Count > 0, file);
        }
    }

    [Fact]
    public void Parse_MutatedInputsForTheTimeBudget_NeverThrow()
    {
        var corpus = Seeds().ToList();
        var random = new Random(Environment.TickCount);
        var clock = Stopwatch.StartNew();
        var runs = 0;
        while (clock.Elapsed < Budget)
        {
            var input = Mutate(corpus[random.Next(corpus.Count)], random);
            var file = random.Next(3) switch { 0 => "fuzz.json", 1 => "fuzz.yaml", _ => "-" };
            try
            {
                var result = SpecParser.Parse(input, file);
                Assert.True(result.IsValid || result.Problems.Count > 0);
                if (result.IsValid && random.Next(8) == 0)
                {
                    corpus.Add(input);
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                var path = Path.Combine(RegressionDirectory(), Convert.ToHexStringLower(SHA256.HashData(input))[..16] + ".bin");
                File.WriteAllBytes(path, input);
                Assert.Fail($"the parser threw {e.GetType().Name} for an input kept as {path}: {e.Message}");
            }

            runs++;
        }

        Assert.True(runs > 100, $"only {runs} inputs in {Budget.TotalSeconds}s");
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        for (var i = random.Next(1, 6); i > 0; i--)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                    break;
                case 2:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    var from = random.Next(bytes.Count);
                    bytes.InsertRange(at, bytes.GetRange(from, Math.Min(random.Next(1, 64), bytes.Count - from)));
                    break;
                default:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(new string('[', random.Next(1, 80))));
                    break;
            }
        }

        return [.. bytes];
    }

    private static IEnumerable<byte[]> Seeds()
    {
        var root = RepositoryRoot();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "examples"), "*.yaml"))
        {
            yield return File.ReadAllBytes(file);
        }

        yield return """{"name":"web","image":"nginx:1","replicas":2,"ports":[{"container":80,"host":8080}],"env":{"A":"b"}}"""u8.ToArray();
        foreach (var file in Directory.EnumerateFiles(RegressionDirectory()))
        {
            yield return File.ReadAllBytes(file);
        }
    }

    private static string RegressionDirectory() => Path.Combine(RepositoryRoot(), "tests", "Contracts.Tests", "Fuzz", "regressions");

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Workers.sln not found above " + AppContext.BaseDirectory);
    }
}
