// An example deployment: az deployment group create -g workers --template-file main.bicep --parameters main.example.bicepparam
using 'main.bicep'

param namePrefix = 'workers'
param topicName = 'workers'
param hosts = [
  { id: 'host-a', principalId: '00000000-0000-0000-0000-00000000000a' }
  { id: 'host-b', principalId: '00000000-0000-0000-0000-00000000000b' }
]
param workersMaxDeliveries = 5
param maxDeliveryCount = 10
param planSku = 'P0v3'
// Never commit a real one: pass it on the command line or read it from Key Vault with getSecret().
param workersStore = readEnvironmentVariable('WORKERS_STORE', 'postgres://workers:change-me@db.example.com:5432/workers')
