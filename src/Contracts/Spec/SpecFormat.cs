namespace Workers.Contracts.Spec;

/// <summary>The syntax a spec is written in; both carry the same schema.</summary>
public enum SpecFormat
{
    /// <summary>Decide by the file's extension (.json, .yaml, .yml), else by its first character ('{' or '[' is JSON).</summary>
    Auto,

    /// <summary>YAML 1.2.</summary>
    Yaml,

    /// <summary>JSON.</summary>
    Json,
}
