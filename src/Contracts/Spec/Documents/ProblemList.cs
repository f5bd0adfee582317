namespace Workers.Contracts.Spec.Documents;

/// <summary>Collects the problems of one document, capped so that a hostile file cannot produce millions.</summary>
internal sealed class ProblemList(string file)
{
    private readonly List<SpecProblem> _problems = [];
    private int _dropped;

    public string File { get; } = file;

    public bool Any => _problems.Count > 0;

    public void Add(int line, int column, string path, string code, string message)
    {
        if (_problems.Count >= DocumentLimits.MaxProblems)
        {
            _dropped++;
            return;
        }

        _problems.Add(new SpecProblem(File, line, column, path, code, message));
    }

    public void Add(Node at, string path, string code, string message) => Add(at.Line, at.Column, path, code, message);

    public IReadOnlyList<SpecProblem> ToList()
    {
        var list = _problems.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList();
        if (_dropped > 0)
        {
            list.Add(new SpecProblem(File, 0, 0, "$", "document.too-many-problems", $"{_dropped} more problems were not listed"));
        }

        return list;
    }
}
