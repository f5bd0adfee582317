#!/bin/sh
# Adds (or updates) one RabbitMQ user of Workers with exactly the rights its role needs, on the broker this runs
# beside (rabbitmqctl). The same permissions as the users in definitions.json, for any host id or client name.
#
#   users.sh agent HOST_ID PASSWORD    an agent: reads host.HOST_ID only; publishes its results and heartbeats only
#   users.sh client NAME PASSWORD      the CLI or a service: publishes requests and queries only, reads its replies
#   users.sh functions NAME PASSWORD   the functions and the intake: their queues, every message type, host commands
#
# VHOST (default workers) picks the virtual host. A password may also come on standard input (PASSWORD -).
set -eu

role=${1:?role: agent, client or functions}
name=${2:?name: the host id (agent) or a user name}
password=${3:?password, or - to read it from standard input}
vhost=${VHOST:-workers}
if [ "$password" = "-" ]; then
    IFS= read -r password
fi

case "$name" in
    *[!a-z0-9.-]*|'') echo "users.sh: '$name' is not a host id or user name (lowercase letters, digits, '.', '-')" >&2; exit 2 ;;
esac

messages='Workers\.Contracts\.Messages'
bus='.+_bus_[a-z0-9]+'
escaped=$(printf '%s' "$name" | sed 's/\./\\./g')
case "$role" in
    agent)
        results="$messages:(ReplicaStarted|ReplicaFailed|ReplicaStopped|ReplicaHealthChanged|HostHeartbeat)"
        configure="^(host\.$escaped(_error|_skipped)?|$results|MassTransit:(Receive)?Fault.*|$bus)\$"
        write="$configure"
        # Read on the fault exchanges: MassTransit binds ReceiveFault's exchange to Fault's (a binding reads its source).
        read="^(host\.$escaped(_error|_skipped)?|MassTransit:(Receive)?Fault.*|$bus)\$"
        ;;
    client)
        requests="$messages:(DeploymentRequested|DeleteDeployment|GetDeploymentStatus|GetDeploymentHistory|GetHosts|GetEvents|GetReplicaLogs|PlanDeployment|GetSealingKey|SetSecret|ListSecrets|DeleteSecret|ForgetHost)"
        configure="^($requests|$bus)\$"
        write="$configure"
        read="^($bus)\$"
        ;;
    functions)
        configure="^(workers\.[a-z]+(_error|_skipped)?|host\.[a-z0-9.-]+|$messages:[A-Za-z]+|MassTransit:(Receive)?Fault.*|$bus)\$"
        write="$configure"
        read="^(workers\.[a-z]+(_error|_skipped)?|$messages:[A-Za-z]+|MassTransit:(Receive)?Fault.*|$bus)\$"
        ;;
    *) echo "users.sh: role must be agent, client or functions, not '$role'" >&2; exit 2 ;;
esac

if ! rabbitmqctl -q list_vhosts | grep -qx "$vhost"; then
    rabbitmqctl -q add_vhost "$vhost"
fi
if rabbitmqctl -q list_users | cut -f1 | grep -qx "$name"; then
    rabbitmqctl -q change_password "$name" "$password"
else
    rabbitmqctl -q add_user "$name" "$password"
fi
rabbitmqctl -q set_permissions -p "$vhost" "$name" "$configure" "$write" "$read"
echo "users.sh: $role user '$name' on vhost '$vhost'"
