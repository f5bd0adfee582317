namespace Workers.Intake;

/// <summary>The answer to a host's keys forgotten or the host revoked over the API.</summary>
/// <param name="HostId">The host, as asked.</param>
/// <param name="Outcome">What was done, in the words <c>workers hosts forget|revoke</c> prints (<c>forgotten</c>, <c>revoked</c>, <c>had no keys pinned</c>).</param>
public sealed record HostKeysAnswer(string HostId, string Outcome);
