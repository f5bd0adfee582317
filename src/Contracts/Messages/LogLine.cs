namespace Workers.Contracts.Messages;

/// <summary>One line a container wrote, without its line ending.</summary>
/// <param name="At">When the engine received it.</param>
/// <param name="Stream"><c>stdout</c> or <c>stderr</c>.</param>
/// <param name="Text">The line (invalid UTF-8 replaced, a very long line cut at the chunk's size).</param>
public sealed record LogLine(DateTimeOffset At, string Stream, string Text);
