// An example deployment: az deployment group create -g workers --template-file main.bicep --parameters main.example.bicepparam
using 'main.bicep'

param namePrefix = 'workers'
param topicName = 'workers'
param hosts = [
  { id: 'host-a', principalId: '00000000-0000-0000-0000-00000000000a' }
  { id: 'host-b', principalId: '00000000-0000-0000-0000-00000000000b' }
]
// The people or CI the CLI signs in as: send on the topic, receive on the reply queue.
param cliPrincipalIds = ['00000000-0000-0000-0000-0000000000c1']
param workersMaxDeliveries = 5
param maxDeliveryCount = 10
param planSku = 'P0v3'
// Never commit a real one: pass it on the command line or read it from Key Vault with getSecret().
param workersStore = readEnvironmentVariable('WORKERS_STORE', 'postgres://workers:change-me@db.example.com:5432/workers')
param workersApiTokens = readEnvironmentVariable('WORKERS_API_TOKENS', '')
param workersGitHubSecret = readEnvironmentVariable('WORKERS_GITHUB_SECRET', '')
param workersWebhookSecret = readEnvironmentVariable('WORKERS_WEBHOOK_SECRET', '')
param workersSecretsKey = readEnvironmentVariable('WORKERS_SECRETS_KEY', '')
param workersSealingKey = readEnvironmentVariable('WORKERS_SEALING_KEY', '')
param workersSigningKey = readEnvironmentVariable('WORKERS_SIGNING_KEY', '')
param workersTriggers = [
  {
    repository: 'acme/web'
    event: 'push'
    ref: 'refs/tags/v*'
    image: 'ghcr.io/acme/web:{tag}'
    spec: 'name: web\nimage: ghcr.io/acme/web:latest\nreplicas: 3\nports:\n  - container: 8080\n'
  }
]
