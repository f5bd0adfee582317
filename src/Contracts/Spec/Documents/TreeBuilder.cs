namespace Workers.Contracts.Spec.Documents;

/// <summary>
/// Builds a <see cref="Node"/> tree from a stream of parser events (YAML or JSON), enforcing the document limits:
/// nesting depth, duplicate keys, keys that are not scalars, and the total size that aliases expand to.
/// </summary>
internal sealed class TreeBuilder(ProblemList problems)
{
    /// <summary>What a document may expand to through aliases; a 1 MiB document without aliases holds far fewer nodes.</summary>
    public const long MaxExpandedNodes = 1_000_000;

    private readonly Stack<Frame> _frames = new();
    private readonly Dictionary<Node, long> _weights = new(ReferenceEqualityComparer.Instance);

    public Node? Root { get; private set; }

    public int Depth => _frames.Count;

    /// <summary>Adds a scalar (or an aliased node) at the current position.</summary>
    public void Value(Node node) => Attach(node);

    /// <summary>Opens a map or a list at the current position; false when that nests too deep.</summary>
    public bool Open(Node container, string? anchor = null)
    {
        if (_frames.Count >= DocumentLimits.MaxDepth)
        {
            problems.Add(container, NextPath(), "document.depth", $"the document nests deeper than {DocumentLimits.MaxDepth} levels");
            return false;
        }

        var path = NextPath();
        Attach(container);
        _frames.Push(new Frame(container, anchor, path));
        return true;
    }

    /// <summary>Closes the innermost map or list; false when aliases make the document too large.</summary>
    public bool Close(out (string Anchor, Node Node)? completedAnchor)
    {
        var frame = _frames.Pop();
        long weight = 1 + frame.ChildWeight;
        _weights[frame.Container] = weight;
        completedAnchor = frame.Anchor is null ? null : (frame.Anchor, frame.Container);
        if (_frames.Count > 0)
        {
            _frames.Peek().ChildWeight += weight;
        }

        if (weight > MaxExpandedNodes)
        {
            problems.Add(frame.Container, frame.Path, "document.too-large", $"aliases expand the document to more than {MaxExpandedNodes:N0} nodes");
            return false;
        }

        return true;
    }

    private void Attach(Node node)
    {
        if (_frames.Count == 0)
        {
            Root = node;
            return;
        }

        var frame = _frames.Peek();
        frame.ChildWeight += node is ScalarNode ? 1 : _weights.GetValueOrDefault(node);
        switch (frame.Container)
        {
            case SequenceNode sequence:
                sequence.Items.Add(node);
                break;
            case MappingNode when frame.PendingKey is null && !frame.SkipValue:
                AttachKey(frame, node);
                break;
            case MappingNode mapping:
                if (!frame.SkipValue)
                {
                    mapping.Entries.Add(new(frame.PendingKey!, node));
                }

                frame.PendingKey = null;
                frame.SkipValue = false;
                break;
        }
    }

    private void AttachKey(Frame frame, Node key)
    {
        if (key is not ScalarNode scalar)
        {
            problems.Add(key, frame.Path, "document.key", $"map keys must be strings, not {key.Describe()}");
            frame.SkipValue = true;
            return;
        }

        frame.Keys ??= new Dictionary<string, ScalarNode>(StringComparer.Ordinal);
        if (frame.Keys.TryGetValue(scalar.Text, out var first))
        {
            problems.Add(scalar, SpecPath.Field(frame.Path, scalar.Text), "document.duplicate-key", $"duplicate key '{scalar.Text}' (first at line {first.Line}, column {first.Column})");
            frame.SkipValue = true;
            return;
        }

        frame.Keys.Add(scalar.Text, scalar);
        frame.PendingKey = scalar;
    }

    private string NextPath()
    {
        if (_frames.Count == 0)
        {
            return SpecPath.Root;
        }

        var frame = _frames.Peek();
        return frame.Container switch
        {
            SequenceNode sequence => SpecPath.Index(frame.Path, sequence.Items.Count),
            _ when frame.PendingKey is not null => SpecPath.Field(frame.Path, frame.PendingKey.Text),
            _ => frame.Path,
        };
    }

    private sealed class Frame(Node container, string? anchor, string path)
    {
        public string Path { get; } = path;

        public Node Container { get; } = container;

        public string? Anchor { get; } = anchor;

        public ScalarNode? PendingKey { get; set; }

        public bool SkipValue { get; set; }

        public long ChildWeight { get; set; }

        public Dictionary<string, ScalarNode>? Keys { get; set; }
    }
}
