namespace Workers.Contracts.Spec.Documents;

/// <summary>What a scalar was written as, so that a quoted "3" is a string and a plain 3 a number.</summary>
internal enum ScalarKind
{
    String,
    Number,
    Boolean,
    Null,
}

/// <summary>A node of a parsed YAML or JSON document, with the 1-based line and column where it starts.</summary>
internal abstract class Node(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>Names the node's type for messages: "a string", "a list", ...</summary>
    public abstract string Describe();
}

internal sealed class ScalarNode(int line, int column, string text, ScalarKind kind) : Node(line, column)
{
    public string Text { get; } = text;

    public ScalarKind Kind { get; } = kind;

    public override string Describe() => Kind switch
    {
        ScalarKind.String => "a string",
        ScalarKind.Number => "a number",
        ScalarKind.Boolean => "a boolean",
        _ => "null",
    };
}

internal sealed class SequenceNode(int line, int column) : Node(line, column)
{
    public List<Node> Items { get; } = [];

    public override string Describe() => "a list";
}

internal sealed class MappingNode(int line, int column) : Node(line, column)
{
    public List<KeyValuePair<ScalarNode, Node>> Entries { get; } = [];

    public override string Describe() => "a map";
}
