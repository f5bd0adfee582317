namespace Workers.DockerEngine.Models;

/// <summary>One object of <c>GET /events</c>: what happened (<see cref="Action"/>) to which object (<see cref="Actor"/>).</summary>
public sealed record EventMessage(
    [property: JsonPropertyName("Type")] string? Type,
    [property: JsonPropertyName("Action")] string? Action,
    [property: JsonPropertyName("Actor")] EventActor? Actor,
    [property: JsonPropertyName("timeNano")] long TimeNano);

/// <summary>The object of an event: its id and attributes (a container's labels among them).</summary>
public sealed record EventActor(
    [property: JsonPropertyName("ID")] string? Id,
    [property: JsonPropertyName("Attributes")] IReadOnlyDictionary<string, string>? Attributes);
