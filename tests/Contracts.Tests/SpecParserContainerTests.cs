using Workers.Contracts.Spec;
using static Workers.Contracts.Tests.SpecAssert;

namespace Workers.Contracts.Tests;

/// <summary>The fields that change a container's defaults: user, readOnlyRootFilesystem, capabilities, resources.pids.</summary>
public sealed class SpecParserContainerTests
{
    [Fact]
    public void Parse_ContainerFields_BuildTypedValues()
    {
        var spec = Valid(Yaml(Minimal + """
            user: "1000:1000"
            readOnlyRootFilesystem: true
            capabilities: [NET_BIND_SERVICE, CHOWN]
            resources: { pids: 64 }
            """));

        Assert.Equal(ContainerUser.From("1000:1000"), spec.User);
        Assert.True(spec.ReadOnlyRootFilesystem);
        Assert.Equal(["NET_BIND_SERVICE", "CHOWN"], spec.Capabilities.Select(c => c.Name));
        Assert.Equal(64, spec.Resources.Pids);
    }

    [Fact]
    public void Parse_ContainerFieldsLeftOut_AskNothing()
    {
        var spec = Valid(Yaml(Minimal));

        Assert.Null(spec.User);
        Assert.False(spec.ReadOnlyRootFilesystem);
        Assert.Empty(spec.Capabilities);
        Assert.Null(spec.Resources.Pids);
    }

    [Fact]
    public void Write_ContainerFieldsLeftOut_WritesNoneOfThem()
    {
        var spec = Valid(Yaml(Minimal));

        foreach (var text in new[] { SpecWriter.ToJson(spec), SpecWriter.ToYaml(spec) })
        {
            Assert.DoesNotContain("user", text, StringComparison.Ordinal);
            Assert.DoesNotContain("readOnlyRootFilesystem", text, StringComparison.Ordinal);
            Assert.DoesNotContain("capabilities", text, StringComparison.Ordinal);
            Assert.DoesNotContain("pids", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Write_ContainerFields_ParseBackUnchangedInYamlAndJson()
    {
        var spec = Valid(Yaml(Minimal + "user: nobody\nreadOnlyRootFilesystem: true\ncapabilities: [SYS_TIME]\nresources: { pids: 1 }\n"));

        Assert.Equal(spec, Valid(Yaml(SpecWriter.ToYaml(spec))));
        Assert.Equal(spec, Valid(Json(SpecWriter.ToJson(spec))));
    }

    [Theory]
    [InlineData("1000", "1000")]
    [InlineData("\"1000:1000\"", "1000:1000")]
    [InlineData("nobody", "nobody")]
    [InlineData("app:staff", "app:staff")]
    [InlineData("\"0\"", "0")]
    [InlineData("_svc.user-1", "_svc.user-1")]
    public void Parse_User_AcceptsIdsAndNamesWithAnOptionalGroup(string yaml, string expected) =>
        Assert.Equal(expected, Valid(Yaml(Minimal + $"user: {yaml}\n")).User!.Value);

    [Theory]
    [InlineData("\"\"", "must not be empty")]
    [InlineData("\"1000:\"", "the group must not be empty")]
    [InlineData("\"a:b:c\"", "is not 'user' or 'user:group'")]
    [InlineData("4294967296", "the user id must be between 0 and 2147483647")]
    [InlineData("\"-1\"", "the user '-1' is neither an id nor a name")]
    [InlineData("\"has space\"", "is neither an id nor a name")]
    [InlineData("\"1000:wheel group\"", "the group 'wheel group' is neither an id nor a name")]
    public void Parse_InvalidUser_ReportsUserInvalidAtTheValue(string yaml, string message)
    {
        var problem = Only(Yaml(Minimal + $"user: {yaml}\n"), "user.invalid", "user", 3, 7);

        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UserAsBoolean_IsATypeMismatch()
    {
        var problem = Only(Yaml(Minimal + "user: true\n"), "type.mismatch", "user", 3, 7);

        Assert.Equal("expected a user name or id, optionally with ':group', got a boolean (true)", problem.Message);
    }

    [Fact]
    public void Parse_ReadOnlyRootFilesystemAsString_IsATypeMismatch()
    {
        var problem = Only(Yaml(Minimal + "readOnlyRootFilesystem: \"yes\"\n"), "type.mismatch", "readOnlyRootFilesystem", 3, 25);

        Assert.Equal("expected true or false, got a string (\"yes\")", problem.Message);
    }

    [Theory]
    [InlineData("SYS_ADMIN")]
    [InlineData("NET_BIND_SERVICE")]
    [InlineData("CHECKPOINT_RESTORE")]
    public void Parse_KnownCapability_IsAccepted(string name) =>
        Assert.Equal(name, Assert.Single(Valid(Yaml(Minimal + $"capabilities: [{name}]\n")).Capabilities).Name);

    [Theory]
    [InlineData("CAP_NET_BIND_SERVICE", "'CAP_NET_BIND_SERVICE' is not written as Docker names it; write 'NET_BIND_SERVICE'")]
    [InlineData("net_bind_service", "'net_bind_service' is not written as Docker names it; write 'NET_BIND_SERVICE'")]
    [InlineData("ALL", "'ALL' cannot be added back; list each capability the workload needs")]
    [InlineData("SUPERPOWER", "'SUPERPOWER' is not a Linux capability; expected a name such as NET_BIND_SERVICE or CHOWN")]
    public void Parse_InvalidCapability_ReportsCapabilityInvalidAtTheItem(string name, string message)
    {
        var problem = Only(Yaml(Minimal + $"capabilities:\n  - CHOWN\n  - {name}\n"), "capability.invalid", "capabilities[1]", 5, 5);

        Assert.Equal(message, problem.Message);
    }

    [Fact]
    public void Parse_CapabilityListedTwice_ReportsTheSecond()
    {
        var problem = Only(Yaml(Minimal + "capabilities: [CHOWN, KILL, CHOWN]\n"), "capability.duplicate", "capabilities[2]", 3, 29);

        Assert.Equal("capability CHOWN is listed twice", problem.Message);
    }

    [Fact]
    public void Parse_CapabilitiesNotAList_IsATypeMismatch() =>
        Only(Yaml(Minimal + "capabilities: NET_BIND_SERVICE\n"), "type.mismatch", "capabilities", 3, 15);

    [Fact]
    public void Parse_EmptyCapabilities_GiveNoneBack() =>
        Assert.Empty(Valid(Yaml(Minimal + "capabilities: []\n")).Capabilities);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(ResourceLimits.MaxPids + 1)]
    public void Parse_PidsOutOfRange_ReportsPidsRange(long pids)
    {
        var problem = Only(Yaml(Minimal + $"resources:\n  pids: {pids}\n"), "pids.range", "resources.pids", 4, 9);

        Assert.Equal($"must be between 1 and {ResourceLimits.MaxPids}, got {pids}", problem.Message);
    }

    [Fact]
    public void Parse_PidsAsString_IsATypeMismatch() =>
        Only(Yaml(Minimal + "resources: { pids: \"512\" }\n"), "type.mismatch", "resources.pids", 3, 20);

    [Fact]
    public void Parse_EveryContainerFieldWrongInJson_ReportsEachWithItsLineAndColumn()
    {
        var result = Json("""
            {"name": "web", "image": "nginx",
             "user": "a:b:c",
             "readOnlyRootFilesystem": "true",
             "capabilities": ["CHOWN", "ALL"],
             "resources": {"pids": 0}}
            """);

        Assert.False(result.IsValid);
        Assert.Equal(
            [("user", "user.invalid", 2, 10), ("readOnlyRootFilesystem", "type.mismatch", 3, 28), ("capabilities[1]", "capability.invalid", 4, 28), ("resources.pids", "pids.range", 5, 24)],
            result.Problems.Select(p => (p.Path, p.Code, p.Line, p.Column)).OrderBy(p => p.Line));
    }

    [Fact]
    public void ResourceLimits_PidsOutOfRange_CannotBeHeld() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits(null, null) { Pids = 0 });
}
