using CsCheck;
using Workers.Contracts.Spec;

namespace Workers.Contracts.Tests;

public sealed class ImageReferenceTests
{
    private const string Sha256 = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    private const string Sha512 = "sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    // ---- valid references: input, domain, path, tag, digest ------------------------------------------------

    /// <summary>Ported from distribution/reference reference_test.go (TestReferenceParse), docker-pull domain split.</summary>
    public static TheoryData<string, string?, string, string?, string?> UpstreamValid => new()
    {
        { "test_com", null, "test_com", null, null },
        { "test.com:tag", null, "test.com", "tag", null },
        { "test.com:5000", null, "test.com", "5000", null },
        { "test.com/repo:tag", "test.com", "repo", "tag", null },
        { "test:5000/repo", "test:5000", "repo", null, null },
        { "test:5000/repo:tag", "test:5000", "repo", "tag", null },
        { "test:5000/repo@" + Sha256, "test:5000", "repo", null, Sha256 },
        { "test:5000/repo:tag@" + Sha256, "test:5000", "repo", "tag", Sha256 },
        { "lowercase:Uppercase", null, "lowercase", "Uppercase", null },
        { "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", null, null },
        { "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", null },
        { "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", null },
        { "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", null },
        { "xn--7o8h.com/myimage:xn--7o8h.com@" + Sha512, "xn--7o8h.com", "myimage", "xn--7o8h.com", Sha512 },
        { "foo_bar.com:8080", null, "foo_bar.com", "8080", null },
        { "foo/foo_bar.com:8080", null, "foo/foo_bar.com", "8080", null },
        { "192.168.1.1", null, "192.168.1.1", null, null },
        { "192.168.1.1:tag", null, "192.168.1.1", "tag", null },
        { "192.168.1.1:5000", null, "192.168.1.1", "5000", null },
        { "192.168.1.1/repo", "192.168.1.1", "repo", null, null },
        { "192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", null, null },
        { "192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", null },
        { "[2001:db8::1]/repo", "[2001:db8::1]", "repo", null, null },
        { "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", null },
        { "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", null, null },
        { "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", null },
        { "[2001:db8::1]:5000/repo@" + Sha256, "[2001:db8::1]:5000", "repo", null, Sha256 },
        { "[2001:db8::1]:5000/repo:tag@" + Sha256, "[2001:db8::1]:5000", "repo", "tag", Sha256 },
        { "[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", null, null },
        { "[::1]:5000/repo", "[::1]:5000", "repo", null, null },
        { "test-com:8080/foo", "test-com:8080", "foo", null, null },
        { "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", null, null },
        { "example.com:8000/named:tagged", "example.com:8000", "named", "tagged", null },
        {
            "other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112",
            "other.com", "named", null, "sha256:1234567890098765432112345667890098765432112345667890098765432112"
        },
    };

    /// <summary>Ported from normalize_test.go (TestValidateReferenceName, TestValidateRemoteName, TestParseRepositoryInfo).</summary>
    public static TheoryData<string, string?, string, string?, string?> UpstreamNormalizeValid => new()
    {
        { "docker/docker", null, "docker/docker", null, null },
        { "library/debian", null, "library/debian", null, null },
        { "debian", null, "debian", null, null },
        { "docker.io/docker/docker", "docker.io", "docker/docker", null, null },
        { "docker.io/debian", "docker.io", "debian", null, null },
        { "index.docker.io/library/debian", "index.docker.io", "library/debian", null, null },
        { "127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", null, null },
        { "192.168.0.1:80", null, "192.168.0.1", "80", null },
        { "192.168.0.1:8/debian", "192.168.0.1:8", "debian", null, null },
        { "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", null, "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", null, null },
        { "[fc00::1]:5000/docker", "[fc00::1]:5000", "docker", null, null },
        { "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", null, null },
        {
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "docker.io", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", null, null
        },
        { "Docker/docker", "Docker", "docker", null, null },
        { "DOCKER/docker", "DOCKER", "docker", null, null },
        { "Foo/bar", "Foo", "bar", null, null },
        { "docker-rules/docker", null, "docker-rules/docker", null, null },
        { "docker---rules/docker", null, "docker---rules/docker", null, null },
        { "d/docker", null, "d/docker", null, null },
        { "jess/t", null, "jess/t", null, null },
        { "dock__er/docker", null, "dock__er/docker", null, null },
        { "test_com/foo", null, "test_com/foo", null, null },
        { "ubuntu-12.04-base", null, "ubuntu-12.04-base", null, null },
        { "store/foo/bar", null, "store/foo/bar", null, null },
        {
            "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
            null, "busybox", "latest", "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
        },
        {
            "redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
            null, "redis", null, "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
        },
        // 63 hex characters is a name, not an image ID.
        { "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", null, "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", null, null },
    };

    [Theory]
    [MemberData(nameof(UpstreamValid))]
    [MemberData(nameof(UpstreamNormalizeValid))]
    public void TryParse_UpstreamValidReference_YieldsExpectedParts(string input, string? domain, string path, string? tag, string? digest) =>
        AssertValid(input, domain, path, tag, digest);

    [Theory]
    [InlineData("registry.example.com:5000/team/web:1.2.3", "registry.example.com:5000", "team/web", "1.2.3")]
    [InlineData("registry.example.com:5000/web", "registry.example.com:5000", "web", null)]
    [InlineData("my-registry:443/a/b/c:v1", "my-registry:443", "a/b/c", "v1")]
    [InlineData("ghcr.io/owner/app:main", "ghcr.io", "owner/app", "main")]
    [InlineData("nginx", null, "nginx", null)]
    [InlineData("nginx:1.27-alpine", null, "nginx", "1.27-alpine")]
    public void TryParse_RegistryWithPort_SplitsDomainPathAndTag(string input, string? domain, string path, string? tag) =>
        AssertValid(input, domain, path, tag, null);

    [Theory]
    [InlineData("[::1]:5000/foo", "[::1]:5000", "foo", null)]
    [InlineData("[2001:db8::1]/foo:tag", "[2001:db8::1]", "foo", "tag")]
    [InlineData("[::1]/foo", "[::1]", "foo", null)]
    [InlineData("[FE80::AB]:80/x/y:latest", "[FE80::AB]:80", "x/y", "latest")]
    public void TryParse_Ipv6HostInBrackets_IsDomain(string input, string? domain, string path, string? tag) =>
        AssertValid(input, domain, path, tag, null);

    [Theory]
    [InlineData("[2001:db8::1]")]
    [InlineData("[2001:db8::1]:5000")]
    [InlineData("[2001:db8::1]:tag")]
    [InlineData("[fe80::1%eth0]:5000/repo")]
    [InlineData("[fe80::1%@invalidzone]:5000/repo")]
    [InlineData("[2001:db8:3:4::192.0.2.33]:5000/debian")]
    [InlineData("fc00::1:5000/debian")]
    [InlineData("[::1/foo")]
    [InlineData("[]:5000/foo")]
    [InlineData("[::1]x/foo")]
    [InlineData("[::1]:/foo")]
    public void TryParse_MalformedIpv6Host_Fails(string input) => AssertInvalid(input);

    [Theory]
    [InlineData("10.0.0.1/app", "10.0.0.1", "app", null)]
    [InlineData("10.0.0.1:5000/app:v2", "10.0.0.1:5000", "app", "v2")]
    [InlineData("127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", null)]
    public void TryParse_Ipv4Host_IsDomain(string input, string? domain, string path, string? tag) =>
        AssertValid(input, domain, path, tag, null);

    [Theory]
    [InlineData("localhost/app", "localhost", "app", null)]
    [InlineData("localhost:5000/app:dev", "localhost:5000", "app", "dev")]
    [InlineData("localhost", null, "localhost", null)]
    [InlineData("localhost:5000", null, "localhost", "5000")]
    [InlineData("localhostx/app", null, "localhostx/app", null)]
    public void TryParse_Localhost_IsDomainOnlyBeforeSlash(string input, string? domain, string path, string? tag) =>
        AssertValid(input, domain, path, tag, null);

    [Theory]
    [InlineData("foo@" + Sha256, null, "foo", null, Sha256)]
    [InlineData("foo:tag@" + Sha256, null, "foo", "tag", Sha256)]
    [InlineData("example.com/foo@" + Sha512, "example.com", "foo", null, Sha512)]
    [InlineData("foo@sha384:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", null, "foo", null,
        "sha384:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    public void TryParse_KnownDigestWithRightLength_Succeeds(string input, string? domain, string path, string? tag, string? digest) =>
        AssertValid(input, domain, path, tag, digest);

    [Theory]
    [InlineData("repo@sha256:ffffffffffffffffffffffffffffffffff", "sha256")]
    [InlineData("foo@sha256:fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "64")]
    [InlineData("foo@sha256:fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "64")]
    [InlineData("foo@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "lowercase")]
    [InlineData("foo@sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "128")]
    [InlineData("foo@" + Sha512 + "ff", "128")]
    [InlineData("foo@sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg", "digest")]
    [InlineData("validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "unsupported")]
    [InlineData("foo@md5:ffffffffffffffffffffffffffffffff", "unsupported")]
    [InlineData("foo@SHA256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "unsupported")]
    [InlineData("foo@sha256", "digest")]
    [InlineData("foo@", "digest must not be empty")]
    [InlineData("foo@" + Sha256 + "@" + Sha256, "digest")]
    [InlineData("@" + Sha256, "must not be empty")]
    [InlineData("foo@sha256:" + Sha256, "digest")]
    public void TryParse_BadDigest_Fails(string input, string expectedInError) => AssertInvalid(input, expectedInError);

    [Theory]
    [InlineData("Uppercase:tag")]
    [InlineData("Uppercase")]
    [InlineData("docker/Docker")]
    [InlineData("test:5000/Uppercase/lowercase:tag")]
    [InlineData("docker.io/docker/Docker")]
    [InlineData("example.com/Team/web")]
    [InlineData("foo/barBaz@" + Sha256)]
    public void TryParse_UppercaseInRepositoryPath_FailsWithLowercaseMessage(string input) =>
        AssertInvalid(input, "repository name must be lowercase");

    [Theory]
    [InlineData("Registry.Example.COM/team/web", "Registry.Example.COM", "team/web")]
    [InlineData("MyHost:5000/web", "MyHost:5000", "web")]
    [InlineData("FOO/bar", "FOO", "bar")]
    public void TryParse_UppercaseInDomain_Succeeds(string input, string domain, string path) =>
        AssertValid(input, domain, path, null, null);

    public static TheoryData<string, string?, string> NameAtLimit => new()
    {
        { new string('a', 255), null, new string('a', 255) },
        { string.Concat(Enumerable.Repeat("a/", 127)) + "a", null, string.Concat(Enumerable.Repeat("a/", 127)) + "a" },
        { "example.com/" + new string('b', 255 - 12), "example.com", new string('b', 255 - 12) },
    };

    [Theory]
    [MemberData(nameof(NameAtLimit))]
    public void TryParse_NameOf255Characters_Succeeds(string input, string? domain, string path) =>
        AssertValid(input, domain, path, null, null);

    [Fact]
    public void TryParse_NameAtLimitWithLongTag_Succeeds()
    {
        var name = string.Concat(Enumerable.Repeat("a/", 127)) + "a";
        AssertValid(name + ":tag-puts-this-over-max", null, name, "tag-puts-this-over-max", null);
    }

    public static TheoryData<string> NameOverLimit => new()
    {
        new string('a', 256),
        string.Concat(Enumerable.Repeat("a/", 128)) + "a:tag",
        "example.com/" + new string('b', 256 - 12),
        "example.com/" + new string('b', 256 - 12) + "@" + Sha256,
        "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
    };

    [Theory]
    [MemberData(nameof(NameOverLimit))]
    public void TryParse_NameOver255Characters_Fails(string input) =>
        AssertInvalid(input, "repository name must not be more than 255 characters");

    [Fact]
    public void TryParse_TagOf128Characters_Succeeds()
    {
        var tag = "_" + new string('x', 126) + "-";
        AssertValid("app:" + tag, null, "app", tag, null);
    }

    [Fact]
    public void TryParse_TagOf129Characters_Fails() => AssertInvalid("app:" + new string('x', 129), "128");

    [Theory]
    [InlineData("app:v1.2.3", "v1.2.3")]
    [InlineData("app:_private", "_private")]
    [InlineData("app:LATEST", "LATEST")]
    [InlineData("app:0", "0")]
    public void TryParse_TagFromWordCharacters_Succeeds(string input, string tag) => AssertValid(input, null, "app", tag, null);

    [Theory]
    [InlineData("foo:", "tag must not be empty")]
    [InlineData("example.com:5000/foo:", "tag must not be empty")]
    [InlineData("foo:-bar", "tag")]
    [InlineData("foo:.bar", "tag")]
    [InlineData("foo:a:b", "tag")]
    [InlineData("foo:tag/x", "")]
    [InlineData("foo:t\u00e9", "tag")]
    [InlineData("foo:a b", "tag")]
    public void TryParse_BadTag_Fails(string input, string expectedInError) => AssertInvalid(input, expectedInError);

    [Theory]
    [InlineData("a__b")]
    [InlineData("a---b")]
    [InlineData("a-b")]
    [InlineData("a.b")]
    [InlineData("a_b")]
    [InlineData("a.b-c__d_e--f")]
    [InlineData("x/a__b/a---b")]
    public void TryParse_AllowedSeparators_Succeeds(string input) => AssertValid(input, null, input, null, null);

    [Theory]
    [InlineData("a___b")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a_")]
    [InlineData("_a")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a..b")]
    [InlineData("a._b")]
    [InlineData("a-.b")]
    [InlineData("a_-b")]
    [InlineData("-docker")]
    [InlineData("-docker/docker")]
    [InlineData("docker-/docker")]
    [InlineData("-docker-/docker")]
    [InlineData("____/____")]
    [InlineData("_docker/_docker")]
    [InlineData("dock..er/docker")]
    [InlineData("dock_.er/docker")]
    [InlineData("dock-.er/docker")]
    [InlineData("-docker.io/docker/docker")]
    [InlineData("aa/asdf$$^/aa")]
    [InlineData("https://github.com/docker/docker")]
    [InlineData("caf\u00e9")]
    public void TryParse_BadPathComponent_Fails(string input) => AssertInvalid(input);

    [Theory]
    [InlineData("/foo")]
    [InlineData("foo/")]
    [InlineData("docker/")]
    [InlineData("/")]
    [InlineData("example.com/")]
    [InlineData("example.com/foo/")]
    [InlineData("example.com//foo")]
    [InlineData("foo//bar")]
    [InlineData("docker///docker")]
    [InlineData("docker.io/docker///docker")]
    [InlineData("foo/:tag")]
    public void TryParse_LeadingTrailingOrDoubleSlash_Fails(string input) => AssertInvalid(input);

    [Theory]
    [InlineData("example..com/foo")]
    [InlineData("-example.com/foo")]
    [InlineData("example-.com/foo")]
    [InlineData("example.com:port/foo")]
    [InlineData("example.com:/foo")]
    [InlineData("example.com:50:00/foo")]
    [InlineData("Foo_bar/baz")]
    [InlineData(":5000/foo")]
    public void TryParse_BadRegistryHost_Fails(string input) => AssertInvalid(input, "registry");

    [Fact]
    public void TryParse_DottedFirstComponentThatIsNoHost_IsKeptInPath() =>
        // distribution/reference reads "foo_bar.com" as a path component when it cannot be a host.
        AssertValid("foo_bar.com/x", null, "foo_bar.com/x", null, null);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n ")]
    public void TryParse_NullOrWhitespace_FailsWithEmptyMessage(string? input) => AssertInvalid(input, "must not be empty");

    [Theory]
    [InlineData(":justtag")]
    [InlineData(" nginx")]
    [InlineData("nginx ")]
    [InlineData("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a")]
    public void TryParse_UpstreamInvalidFormat_Fails(string input) => AssertInvalid(input);

    [Fact]
    public void TryParse_HugeInput_FailsFast() => AssertInvalid(new string('a', 100_000), "4096");

    [Fact]
    public void TryParse_SameText_YieldsEqualRecords()
    {
        Assert.True(ImageReference.TryParse("example.com/a:b@" + Sha256, out var first, out _));
        Assert.True(ImageReference.TryParse("example.com/a:b@" + Sha256, out var second, out _));
        Assert.Equal(first, second);
        Assert.True(ImageReference.TryParse("example.com/a:c", out var other, out _));
        Assert.NotEqual(first, other);
    }

    // ---- properties ----------------------------------------------------------------------------------------

    private const string Lower = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string Hex = "0123456789abcdef";
    private const string WordChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

    private static readonly Gen<string> Alphanumeric = Gen.String[Gen.Char[Lower], 1, 5];

    private static readonly Gen<string> Separator = Gen.OneOf(
        Gen.OneOfConst(".", "_", "__"),
        Gen.Int[1, 3].Select(n => new string('-', n)));

    /// <summary><c>[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*</c></summary>
    private static readonly Gen<string> PathComponent =
        Gen.Select(Alphanumeric, Gen.Select(Separator, Alphanumeric, (s, a) => s + a).Array[0, 3], (head, tail) => head + string.Concat(tail));

    private static readonly Gen<string> DomainLabel = Gen.OneOf(
        Gen.String[Gen.Char["abcXYZ019"], 1, 1],
        Gen.Select(
            Gen.Char["aZ09"],
            Gen.String[Gen.Char["abcXYZ019-"], 0, 6],
            Gen.Char["bY18"],
            (first, middle, last) => first + middle + last));

    private static readonly Gen<string> Port = Gen.Int[0, 65535].Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static readonly Gen<string> Host = Gen.OneOf(
        DomainLabel.Array[1, 4].Select(labels => string.Join('.', labels)),
        Gen.Int[0, 255].Array[4].Select(octets => string.Join('.', octets)),
        Gen.String[Gen.Char["0123456789abcdefABCDEF:"], 1, 20].Select(inner => "[" + inner + "]"),
        Gen.Const("localhost"));

    private static readonly Gen<string?> Domain = Gen.Frequency(
        (1, Gen.Const<string?>((string?)null)),
        (3, Gen.Select(Host, Gen.Bool, Port, (host, withPort, port) => (string?)(withPort ? host + ":" + port : host))));

    private static readonly Gen<string?> Tag = Gen.Frequency(
        (1, Gen.Const<string?>((string?)null)),
        (3, Gen.Select(Gen.Char[WordChars], Gen.String[Gen.Char[WordChars + ".-"], 0, 127], (first, rest) => (string?)(first + rest))));

    private static readonly Gen<string?> Digest = Gen.Frequency(
        (2, Gen.Const<string?>((string?)null)),
        (1, Gen.String[Gen.Char[Hex], 64, 64].Select(h => (string?)("sha256:" + h))),
        (1, Gen.String[Gen.Char[Hex], 96, 96].Select(h => (string?)("sha384:" + h))),
        (1, Gen.String[Gen.Char[Hex], 128, 128].Select(h => (string?)("sha512:" + h))));

    private static readonly Gen<(string? Domain, string Path, string? Tag, string? Digest)> ValidParts =
        Gen.Select(Domain, PathComponent.Array[1, 4], Tag, Digest, (d, components, t, g) => (d, string.Join('/', components), t, g))
            .Where(p => IsUnambiguous(p.d, p.Item2))
            .Select(p => (p.d, p.Item2, p.t, p.g));

    private static bool IsUnambiguous(string? domain, string path)
    {
        // The domain needs to look like one ("." / ":" / "localhost" / uppercase), and without a domain the first
        // path component must not look like one, or the text would split differently.
        var first = path.Split('/')[0];
        var nameLength = (domain is null ? 0 : domain.Length + 1) + path.Length;
        return nameLength <= 255
            && (domain is null
                ? !first.Contains('.', StringComparison.Ordinal) && first != "localhost" && !(path.Length == 64 && path.All(Hex.Contains))
                : domain.Contains('.', StringComparison.Ordinal) || domain.Contains(':', StringComparison.Ordinal)
                    || domain == "localhost" || domain.Any(char.IsAsciiLetterUpper));
    }

    [Fact]
    public void TryParse_GeneratedValidReference_RoundTripsThroughToString() =>
        ValidParts.Sample(parts =>
        {
            var text = (parts.Domain is null ? "" : parts.Domain + "/") + parts.Path
                + (parts.Tag is null ? "" : ":" + parts.Tag)
                + (parts.Digest is null ? "" : "@" + parts.Digest);

            Assert.True(ImageReference.TryParse(text, out var reference, out var error), $"{text}: {error}");
            Assert.Equal(parts.Domain, reference.Domain);
            Assert.Equal(parts.Path, reference.Path);
            Assert.Equal(parts.Tag, reference.Tag);
            Assert.Equal(parts.Digest, reference.Digest);
            Assert.Equal(text, reference.ToString());

            Assert.True(ImageReference.TryParse(reference.ToString(), out var again, out _));
            Assert.Equal(reference, again);
        }, iter: 20_000);

    private static readonly Gen<string> ArbitraryText = Gen.OneOf(
        Gen.String,
        Gen.String[Gen.Char["aZ09._-/:@[]%$ \u00e9"], 0, 40],
        Gen.Select(ValidParts, Gen.Int[0, 300], Gen.Char, (p, at, c) =>
        {
            var text = (p.Domain is null ? "" : p.Domain + "/") + p.Path + (p.Tag is null ? "" : ":" + p.Tag) + (p.Digest is null ? "" : "@" + p.Digest);
            var index = Math.Min(at, text.Length);
            return text[..index] + c + text[index..];
        }));

    [Fact]
    public void TryParse_ArbitraryText_NeverThrowsAndReportsExactlyOneOutcome() =>
        ArbitraryText.Sample(text =>
        {
            var ok = ImageReference.TryParse(text, out var reference, out var error);
            if (ok)
            {
                Assert.NotNull(reference);
                Assert.Null(error);
                Assert.Equal(text, reference.ToString());
            }
            else
            {
                Assert.Null(reference);
                Assert.False(string.IsNullOrWhiteSpace(error));
            }
        }, iter: 20_000);

    // ---- helpers -------------------------------------------------------------------------------------------

    private static void AssertValid(string input, string? domain, string path, string? tag, string? digest)
    {
        Assert.True(ImageReference.TryParse(input, out var reference, out var error), $"{input}: {error}");
        Assert.Null(error);
        Assert.Equal(domain, reference.Domain);
        Assert.Equal(path, reference.Path);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(input, reference.ToString());
    }

    private static void AssertInvalid(string? input, string expectedInError = "")
    {
        Assert.False(ImageReference.TryParse(input, out var reference, out var error), $"expected '{input}' to be invalid");
        Assert.Null(reference);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Contains(expectedInError, error, StringComparison.Ordinal);
    }
}
