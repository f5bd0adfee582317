namespace Workers.Integration.Tests;

/// <summary>A message of the tests' own, on an exchange no Workers process uses.</summary>
public sealed record RefusalProbe(Guid Id);
