using System.Text;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Runtime;

/// <summary>The engine's log output (stdout and stderr frames, each line stamped to the nanosecond) made into bounded chunks.</summary>
public sealed class LogChunkTests
{
    private static readonly LogsRead All = new(null, null, null, 1000, 64 * 1024);

    [Fact]
    public void Chunk_LinesSplitAcrossFramesOfTwoStreams_ComeWholeInOrderWithTheirStreams()
    {
        var chunk = new LogChunk(All);

        chunk.Add("stdout", Bytes("2026-11-27T01:02:03.000000001Z one\n2026-11-27T01:02:03.0"));
        chunk.Add("stderr", Bytes("2026-11-27T01:02:03.000000002Z oops\n"));
        chunk.Add("stdout", Bytes("00000003Z two\r\n2026-11-27T01:02:03.000000004Z no line end"));
        var logs = chunk.Finish(running: true);

        Assert.Equal(["one", "oops", "two", "no line end"], logs.Lines.Select(l => l.Text));
        Assert.Equal(["stdout", "stderr", "stdout", "stdout"], logs.Lines.Select(l => l.Stream));
        Assert.Equal("2026-11-27T01:02:03.000000004Z", logs.Cursor!.ToString());
        Assert.False(logs.More);
        Assert.True(logs.Running);
    }

    [Fact]
    public void Chunk_AfterACursor_DropsThatLineAndEveryEarlierOneToTheNanosecond()
    {
        LogCursor.TryParse("2026-11-27T01:02:03.000000002Z", out var after);
        var chunk = new LogChunk(All with { After = after });

        chunk.Add("stdout", Bytes("2026-11-27T01:02:03.000000001Z old\n2026-11-27T01:02:03.000000002Z seen\n2026-11-27T01:02:03.000000003Z new\n"));

        Assert.Equal(["new"], chunk.Finish(running: false).Lines.Select(l => l.Text));
    }

    [Fact]
    public void Chunk_MoreLinesThanItsBound_IsCutThereSayingMoreWithTheLastLineAsCursor()
    {
        var chunk = new LogChunk(All with { MaxLines = 2 });

        chunk.Add("stdout", Bytes("2026-11-27T01:02:03.1Z a\n2026-11-27T01:02:03.2Z b\n2026-11-27T01:02:03.3Z c\n"));
        var logs = chunk.Finish(running: true);

        Assert.True(chunk.Full);
        Assert.Equal(["a", "b"], logs.Lines.Select(l => l.Text));
        Assert.True(logs.More);
        Assert.Equal("2026-11-27T01:02:03.200000000Z", logs.Cursor!.ToString());
    }

    [Fact]
    public void Chunk_MoreTextThanItsBytes_StopsBeforeTheLineThatWouldPassIt()
    {
        var chunk = new LogChunk(All with { MaxBytes = 10 });

        chunk.Add("stdout", Bytes("2026-11-27T01:02:03.1Z 123456\n2026-11-27T01:02:03.2Z 789012\n"));
        var logs = chunk.Finish(running: true);

        Assert.Equal(["123456"], logs.Lines.Select(l => l.Text));
        Assert.True(logs.More);
    }

    [Fact]
    public void Chunk_OneLineLongerThanItsBytes_IsCutToThem()
    {
        var chunk = new LogChunk(All with { MaxBytes = 4 });

        chunk.Add("stdout", Bytes("2026-11-27T01:02:03.1Z ééé\n"));

        Assert.Equal("éé", Assert.Single(chunk.Finish(running: true).Lines).Text);
    }

    [Theory]
    [InlineData("2026-11-27T01:02:03.123456789Z", "1795741323.123456789")]
    [InlineData("2026-11-27T01:02:03Z", "1795741323.000000000")]
    [InlineData("2026-11-27T01:02:03.5Z", "1795741323.500000000")]
    public void Cursor_EngineTimestamp_IsTheEnginesSinceParameterToTheNanosecond(string text, string since)
    {
        Assert.True(LogCursor.TryParse(text, out var cursor));
        Assert.Equal(since, cursor!.ToSinceParameter());
        Assert.True(LogCursor.TryParse(cursor.ToString(), out var again));
        Assert.Equal(cursor, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2026-11-27T01:02:03.1234567890Z")]
    [InlineData("2026-11-27T01:02:03+01:00")]
    public void Cursor_NotATimestamp_IsRefused(string text) =>
        Assert.False(LogCursor.TryParse(text, out _));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
