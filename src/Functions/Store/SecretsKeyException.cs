namespace Workers.Functions.Store;

/// <summary>There is no key for the secrets, or not the right one: the message says which and what to set, in one line.</summary>
public sealed class SecretsKeyException : Exception
{
    public SecretsKeyException()
    {
    }

    public SecretsKeyException(string message)
        : base(message)
    {
    }

    public SecretsKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
