using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>Everything the functions remember: requests and revisions, replicas, port reservations and hosts.</summary>
public interface IDeploymentStore
{
    /// <summary>Creates or upgrades the schema; safe to run at every start and from several processes.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Keeps a host's heartbeat unless a newer one is already stored.</summary>
    Task UpsertHostAsync(HostHeartbeat heartbeat, DateTimeOffset receivedAt, CancellationToken cancellationToken);

    /// <summary>Every known host.</summary>
    Task<IReadOnlyList<HostRecord>> GetHostsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Pins <paramref name="keys"/> for <paramref name="hostId"/> unless keys are pinned for it already, and returns the
    /// keys pinned (the given ones, or the earlier ones, which a heartbeat with other keys cannot replace).
    /// </summary>
    Task<AgentIdentity> PinHostKeysAsync(string hostId, AgentIdentity keys, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The keys pinned for a host, or null when none are.</summary>
    Task<AgentIdentity?> GetHostKeysAsync(string hostId, CancellationToken cancellationToken);

    /// <summary>The keys pinned for each of <paramref name="hostIds"/> that has any, in one read.</summary>
    Task<IReadOnlyDictionary<string, AgentIdentity>> GetHostKeysAsync(IReadOnlyCollection<string> hostIds, CancellationToken cancellationToken);

    /// <summary>Pins <paramref name="keys"/> for <paramref name="hostId"/> whatever was pinned before (a revocation's tombstone).</summary>
    Task ReplaceHostKeysAsync(string hostId, AgentIdentity keys, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Unpins a host's keys (to rotate them or revoke the host); false when none were pinned.</summary>
    Task<bool> ForgetHostKeysAsync(string hostId, CancellationToken cancellationToken);

    /// <summary>Records a rejected request; a second call for the same id changes nothing.</summary>
    Task RecordRejectionAsync(Guid deploymentId, string? name, string reason, IReadOnlyList<SpecProblem> problems, string requestedBy, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: the next revision of the deployment's name, its replicas and their port reservations, the
    /// name's current revision pointer, and the hand-over of <paramref name="displaced"/> older replicas (set stopping,
    /// their ports released to the new ones). Throws <see cref="ConcurrencyConflictException"/> when a concurrent
    /// writer took a host port or the revision number. A second call for the same id returns the first plan's revision.
    /// The replicas' start commands are taken to expire at <paramref name="at"/> plus the store's start time to live
    /// (<see cref="FunctionsOptions.CommandTimeToLive"/>), as the handlers send them.
    /// </summary>
    Task<long> SavePlanAsync(Guid deploymentId, DeploymentSpec spec, string requestedBy, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// The same as <see cref="SavePlanAsync(Guid, DeploymentSpec, string, IReadOnlyList{ReplicaPlacement}, IReadOnlyCollection{PortReservation}, DateTimeOffset, CancellationToken)"/>
    /// for a request made and accepted at <paramref name="times"/>, unless a later request for the same name was
    /// planned while this one was in flight (made after it, planned after it was accepted): then nothing is saved and
    /// null is returned, and the later request stays current. Checked in the plan's own transaction, so two planners
    /// cannot both miss each other. A later request planned before this one was even accepted does not count: this one
    /// arrived after it, whatever its sender's clock says, and is planned.
    /// </summary>
    Task<long?> SavePlanAsync(Guid deploymentId, DeploymentSpec spec, string requestedBy, RequestTimes times, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>One request, by its id (a request that repeated the running spec finds that revision).</summary>
    Task<RevisionRecord?> GetRevisionAsync(Guid deploymentId, CancellationToken cancellationToken);

    /// <summary>The current revision of every deployment, or of one name.</summary>
    Task<IReadOnlyList<RevisionRecord>> GetCurrentRevisionsAsync(string? name, CancellationToken cancellationToken);

    /// <summary>Earlier revisions of a name that still have replicas not stopped.</summary>
    Task<IReadOnlyList<RevisionRecord>> GetOlderActiveRevisionsAsync(string name, long revision, CancellationToken cancellationToken);

    /// <summary>Revisions of a name with a replica pending, running or stopping: those a rollout moves between.</summary>
    Task<IReadOnlyList<RevisionRecord>> GetLiveRevisionsAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the sweep declared the host down (its last heartbeat received at <paramref name="receivedAt"/>):
    /// once per silence, and undone by its next heartbeat. Both are events (<c>host.lost</c>, <c>host.returned</c>).
    /// </summary>
    Task<bool> MarkHostLostAsync(string hostId, DateTimeOffset receivedAt, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Records an event no row change records (a host lost or back, an orphan). With a <paramref name="key"/> it is
    /// recorded once however many writers (sweeps, redeliveries) see it; true when this call recorded it.
    /// </summary>
    Task<bool> AppendEventAsync(WorkersEvent entry, string? key, CancellationToken cancellationToken);

    /// <summary>Events that match, oldest first: the newest <see cref="EventQuery.Limit"/> of them.</summary>
    Task<IReadOnlyList<WorkersEvent>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>Forgets events older than <paramref name="before"/>; how many.</summary>
    Task<int> PruneEventsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>
    /// Brings the database's planner statistics up to date for the tables that changed much since they were last
    /// gathered (see <see cref="SqlDialect.RefreshStatisticsAsync"/>); the tables refreshed.
    /// </summary>
    Task<IReadOnlyList<string>> RefreshStatisticsAsync(CancellationToken cancellationToken);

    /// <summary>The replicas of one revision.</summary>
    Task<IReadOnlyList<ReplicaRecord>> GetReplicasAsync(Guid deploymentId, CancellationToken cancellationToken);

    /// <summary>One replica of a revision, or null: what a single agent result is about (one row, not the revision's).</summary>
    Task<ReplicaRecord?> FindReplicaAsync(Guid deploymentId, int index, CancellationToken cancellationToken);

    /// <summary>Every replica that holds or will hold resources (pending, running or stopping), with its spec's limits.</summary>
    Task<IReadOnlyList<ReplicaLimits>> GetActiveReplicaLimitsAsync(CancellationToken cancellationToken);

    /// <summary>Every replica that is pending, running or stopping, across all deployments (for the deadline sweep).</summary>
    Task<IReadOnlyList<ReplicaRecord>> GetActiveReplicasAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The replicas on a host that are pending, running or stopping, and any other that changed at or after
    /// <paramref name="changedSince"/> (for reconciling a heartbeat without reading the host's whole history).
    /// </summary>
    Task<IReadOnlyList<ReplicaRecord>> GetReplicasOnHostAsync(string hostId, DateTimeOffset changedSince, CancellationToken cancellationToken);

    /// <summary>One replica on a host by its deployment name, revision and index, in any state; null when there is none.</summary>
    Task<ReplicaRecord?> FindReplicaOnHostAsync(string hostId, string name, long revision, int index, CancellationToken cancellationToken);

    /// <summary>
    /// Adds replicas to a revision (replacements, or a rollout's next wave), with their port reservations and the
    /// hand-over of <paramref name="displaced"/> older replicas (set stopping, their ports released), in one
    /// transaction; throws <see cref="ConcurrencyConflictException"/> when a host port or an index was taken meanwhile.
    /// False, and nothing added, when the revision is gone or being deleted: a delete and a placement that race are
    /// ordered, so that the delete either finds the new replicas or there are none.
    /// </summary>
    Task<bool> AddReplicasAsync(Guid deploymentId, string name, long revision, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Every port reservation, those still held after their replica ended (<see cref="PortReservation.HeldUntil"/>)
    /// included: a plan must not hand those ports to another replica on the same host.
    /// </summary>
    Task<IReadOnlyList<PortReservation>> GetReservationsAsync(CancellationToken cancellationToken);

    /// <summary>Frees the host ports held after their replica ended whose start command had expired by <paramref name="now"/>; how many.</summary>
    Task<int> ReleaseHeldPortsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a replica to <paramref name="state"/> if that is forward from where it is (a late "started" never undoes
    /// "stopped"); frees its port reservations when it ends (failed, stopped, lost), except dynamic host ports whose
    /// start command has not expired at <paramref name="at"/>: a duplicated or redelivered start may still bring the
    /// replica up on them, so they stay held until that expiry. False when nothing changed.
    /// </summary>
    Task<bool> UpdateReplicaAsync(Guid deploymentId, int index, ReplicaState state, string? containerId, IReadOnlyList<PortBinding>? ports, string? reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Records a running (or pending: its "started" may still be on its way) replica's health as judged at
    /// <paramref name="at"/>, with the probe's answer as reason when unhealthy, unless a later judgement is already
    /// stored. A pending replica also becomes running. False when nothing changed.
    /// </summary>
    Task<bool> UpdateReplicaHealthAsync(Guid deploymentId, int index, ReplicaHealth health, string? containerId, string? reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Replicas reported running together: each moved to running as <see cref="UpdateReplicaAsync"/> moves one, all in
    /// one transaction (one commit, not one per replica). How many moved.
    /// </summary>
    Task<int> MarkRunningAsync(IReadOnlyList<ReplicaStarted> started, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Health judgements that came together: each recorded as <see cref="UpdateReplicaHealthAsync(Guid, int, ReplicaHealth, string?, string?, DateTimeOffset, CancellationToken)"/> records one, all in
    /// one transaction. How many changed a replica.
    /// </summary>
    Task<int> UpdateReplicaHealthAsync(IReadOnlyList<ReplicaHealthChanged> reports, CancellationToken cancellationToken);

    /// <summary>Points the name's current revision at <paramref name="deploymentId"/> (a rollback restores an older one).</summary>
    Task SetCurrentRevisionAsync(string name, Guid deploymentId, long revision, CancellationToken cancellationToken);

    /// <summary>Every revision of a name (not rejected requests), newest first.</summary>
    Task<IReadOnlyList<RevisionRecord>> GetRevisionsAsync(string name, CancellationToken cancellationToken);

    /// <summary>The revisions of a name that <paramref name="filter"/> selects, newest first: what a handler needs, not the whole history.</summary>
    Task<IReadOnlyList<RevisionRecord>> GetRevisionsAsync(string name, RevisionFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Makes request <paramref name="deploymentId"/> stand for revision <paramref name="targetId"/> (its spec is the one
    /// that revision runs), so that looking the request up finds that revision. A second call changes nothing.
    /// </summary>
    Task AliasRequestAsync(Guid deploymentId, Guid targetId, CancellationToken cancellationToken);

    /// <summary>
    /// The same as <see cref="TransitionRevisionAsync(Guid, IReadOnlyCollection{DeploymentState}, DeploymentState, string?, DateTimeOffset, CancellationToken)"/>,
    /// and when the state changed, <paramref name="outcome"/> (the event that announces it) is written to the outbox in
    /// the same transaction, so that a crash before it is published does not lose it.
    /// </summary>
    Task<bool> TransitionRevisionAsync(Guid deploymentId, IReadOnlyCollection<DeploymentState> from, DeploymentState to, string? reason, DateTimeOffset at, OutboxMessage outcome, CancellationToken cancellationToken);

    /// <summary>Outbox messages written at or before <paramref name="before"/>, oldest first.</summary>
    Task<IReadOnlyList<OutboxMessage>> GetOutboxAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Clears a published outbox message; clearing one that is gone is fine.</summary>
    Task ClearOutboxAsync(Guid messageId, CancellationToken cancellationToken);

    /// <summary>Sets a revision's state if it is still in <paramref name="from"/>; false when it was not (another writer moved it).</summary>
    Task<bool> TransitionRevisionAsync(Guid deploymentId, IReadOnlyCollection<DeploymentState> from, DeploymentState to, string? reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Forgets a deployment name once every replica of it is stopped; false when it was already gone.</summary>
    Task<bool> ForgetDeploymentAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Claims a webhook delivery id of <paramref name="source"/> (<c>github</c>, <c>events</c>): true for the first
    /// claim, false when the delivery was claimed before (a redelivery), atomically across processes.
    /// </summary>
    Task<bool> TryClaimDeliveryAsync(string source, string deliveryId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Gives a claimed delivery back, when acting on it failed, so that the sender's retry is acted on.</summary>
    Task ReleaseDeliveryAsync(string source, string deliveryId, CancellationToken cancellationToken);
}
