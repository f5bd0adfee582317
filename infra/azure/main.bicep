// Workers on Azure: the Service Bus topology the Service Bus transport (src/Transport.ServiceBus) expects, and a
// Function App for the functions with the settings that code reads. Compile with infra/azure/check.sh.
//
// Topology: one topic for the whole flow with duplicate detection on MessageId; one subscription per function,
// filtered on the application property messageType (the contract's full name); one subscription per host,
// host.<id>, filtered on the application property hostId that only host commands carry.

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Prefix of resource names; the namespace and storage account add a suffix unique to the resource group.')
@minLength(3)
@maxLength(11)
param namePrefix string = 'workers'

@description('The flow topic (WORKERS_SERVICEBUS_TOPIC).')
param topicName string = 'workers'

@description('''The host agents: id (the agent's WORKERS_HOST_ID; at most 45 characters so that host.<id> fits a
subscription name) and, optionally, principalId, the Entra object id the agent signs in as: it gets receive on its own
subscription only and send on the topic.''')
param hosts array = [
  { id: 'host-a', principalId: '' }
  { id: 'host-b', principalId: '' }
]

@description('The session-enabled queue the CLI asks its replies on (WORKERS_SERVICEBUS_REPLY_QUEUE); each CLI reads its own session.')
param replyQueueName string = 'workers-replies'

@description('''Entra object ids the CLI signs in as (people or CI): each gets send on the topic and receive on the reply
queue. Sessions keep one CLI's replies from another's reads, but are no access boundary: whoever may receive on the
queue may accept any session, so list only principals trusted with every read the CLI makes.''')
param cliPrincipalIds array = []

@description('Deliveries after which the adapter dead-letters a failing message with its reason (WORKERS_SERVICEBUS_MAX_DELIVERIES).')
@minValue(1)
param workersMaxDeliveries int = 5

@description('Service Bus\'s own delivery limit, a backstop above workersMaxDeliveries.')
@minValue(2)
param maxDeliveryCount int = 10

@description('How long Service Bus remembers a MessageId to drop a duplicate.')
param duplicateDetectionWindow string = 'PT10M'

@description('''The App Service plan. Always on, not Consumption: without the Service Bus trigger extension the app
consumes its subscriptions with ServiceBusProcessor in-process, and nothing would wake a scaled-to-zero app.''')
param planSku string = 'P0v3'

@description('The store (WORKERS_STORE): a PostgreSQL connection, postgres://user:password@host:5432/db.')
@secure()
param workersStore string

@description('The HTTP API\'s bearer tokens, comma-separated (WORKERS_API_TOKENS); empty: every API call answers 401.')
@secure()
param workersApiTokens string = ''

@description('The GitHub webhook secret (WORKERS_GITHUB_SECRET); empty: /api/hooks/github answers 401.')
@secure()
param workersGitHubSecret string = ''

@description('The Standard Webhooks secret, whsec_<base64>, several separated by spaces while rotating (WORKERS_WEBHOOK_SECRET); empty: /api/hooks/events answers 401.')
@secure()
param workersWebhookSecret string = ''

@description('The key for secrets at rest, base64 of 32 bytes (WORKERS_SECRETS_KEY); empty: setting a secret is refused. Never changes once secrets are set.')
@secure()
param workersSecretsKey string = ''

@description('The control plane\'s signing key, PEM text (WORKERS_SIGNING_KEY): every command to an agent is signed with it; agents trust its public key (WORKERS_CONTROL_KEYS).')
@secure()
param workersSigningKey string

@description('The functions\' sealing key, PEM text (WORKERS_SEALING_KEY), that clients seal secret values to; every instance must share it.')
@secure()
param workersSealingKey string = ''

@description('GitHub trigger rules, each { repository, event, ref?, image, spec }, as the app settings Workers__Intake__Triggers__N__*.')
param workersTriggers array = []

var suffix = uniqueString(resourceGroup().id)

// Each trigger rule's fields as app settings, the way .NET configuration reads an array from the environment.
var triggerSettings = flatten(map(range(0, length(workersTriggers)), i => map(items(workersTriggers[i]), field => {
  name: 'Workers__Intake__Triggers__${i}__${toUpper(substring(field.key, 0, 1))}${substring(field.key, 1)}'
  value: string(field.value)
})))

// Must match ServiceBusTopology.FunctionSubscriptions (a unit test compares them).
var functionSubscriptions = [
  {
    name: 'validate'
    messageTypes: [
      'Workers.Contracts.Messages.DeploymentRequested'
    ]
  }
  {
    name: 'plan'
    messageTypes: [
      'Workers.Contracts.Messages.DeploymentAccepted'
    ]
  }
  {
    name: 'track'
    messageTypes: [
      'Workers.Contracts.Messages.ReplicaStarted'
      'Workers.Contracts.Messages.ReplicaFailed'
      'Workers.Contracts.Messages.ReplicaStopped'
      'Workers.Contracts.Messages.ReplicaHealthChanged'
    ]
  }
  {
    name: 'inventory'
    messageTypes: [
      'Workers.Contracts.Messages.HostHeartbeat'
    ]
  }
  {
    name: 'delete'
    messageTypes: [
      'Workers.Contracts.Messages.DeleteDeployment'
    ]
  }
  {
    name: 'query'
    messageTypes: [
      'Workers.Contracts.Messages.GetDeploymentStatus'
      'Workers.Contracts.Messages.GetHosts'
      'Workers.Contracts.Messages.GetEvents'
      'Workers.Contracts.Messages.GetReplicaLogs'
      'Workers.Contracts.Messages.PlanDeployment'
      'Workers.Contracts.Messages.GetDeploymentHistory'
      'Workers.Contracts.Messages.GetSealingKey'
      'Workers.Contracts.Messages.SetSecret'
      'Workers.Contracts.Messages.DeleteSecret'
      'Workers.Contracts.Messages.ListSecrets'
      'Workers.Contracts.Messages.ForgetHost'
    ]
  }
]

// Built-in roles.
var serviceBusDataSender = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
var serviceBusDataReceiver = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')

var subscriptionDefaults = {
  lockDuration: 'PT1M'
  maxDeliveryCount: maxDeliveryCount
  deadLetteringOnMessageExpiration: true
  deadLetteringOnFilterEvaluationExceptions: true
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: '${namePrefix}-${suffix}'
  location: location
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    // Managed identities only: the app signs in with DefaultAzureCredential, no connection string exists.
    disableLocalAuth: true
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: serviceBus
  name: topicName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    defaultMessageTimeToLive: 'P1D'
    supportOrdering: true
  }
}

resource functionSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for s in functionSubscriptions: {
  parent: topic
  name: s.name
  properties: subscriptionDefaults
}]

// Named $Default so that it replaces the catch-all rule Service Bus gives every new subscription.
resource functionFilter 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for (s, i) in functionSubscriptions: {
  parent: functionSubscription[i]
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: 'messageType IN (${join(map(s.messageTypes, t => '\'${t}\''), ', ')})'
    }
  }
}]

resource hostSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for h in hosts: {
  parent: topic
  name: 'host.${h.id}'
  properties: subscriptionDefaults
}]

resource hostFilter 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for (h, i) in hosts: {
  parent: hostSubscription[i]
  name: '$Default'
  properties: {
    filterType: 'CorrelationFilter'
    correlationFilter: {
      properties: {
        hostId: h.id
      }
    }
  }
}]

// The functions answer the CLI's requests here, in the session each request names (ReplyToSessionId).
resource replyQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: serviceBus
  name: replyQueueName
  properties: {
    requiresSession: true
    defaultMessageTimeToLive: 'PT10M'
    maxDeliveryCount: maxDeliveryCount
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${namePrefix}${suffix}', 24)
  location: location
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  sku: {
    name: planSku
  }
  kind: 'linux'
  properties: {
    reserved: true
  }
}

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: '${namePrefix}-functions-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      alwaysOn: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat([
        { name: 'AzureWebJobsStorage', value: storageConnection }
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
        // Read by ServiceBusSettings (src/Transport.ServiceBus); no WORKERS_SERVICEBUS_CONNECTION: the managed identity signs in.
        { name: 'WORKERS_BROKER', value: 'servicebus://${parseUri(serviceBus.properties.serviceBusEndpoint).host}/' }
        { name: 'WORKERS_SERVICEBUS_TOPIC', value: topic.name }
        { name: 'WORKERS_SERVICEBUS_MAX_DELIVERIES', value: string(workersMaxDeliveries) }
        { name: 'WORKERS_STORE', value: workersStore }
        // Read by IntakeOptions (src/Intake): the HTTP-triggered intake and webhook functions.
        { name: 'WORKERS_API_TOKENS', value: workersApiTokens }
        { name: 'WORKERS_GITHUB_SECRET', value: workersGitHubSecret }
        { name: 'WORKERS_WEBHOOK_SECRET', value: workersWebhookSecret }
        // Read by SecretsKeySource and ControlPlaneSealingKey (src/Functions, src/Security): secrets at rest and in transit.
        { name: 'WORKERS_SECRETS_KEY', value: workersSecretsKey }
        { name: 'WORKERS_SEALING_KEY', value: workersSealingKey }
        // Read by ControlPlaneKey (src/Security): the key commands to agents are signed with.
        { name: 'WORKERS_SIGNING_KEY', value: workersSigningKey }
      ], triggerSettings)
    }
  }
}

// The functions send to the topic and receive from the function subscriptions, not from any host's.
resource functionsSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: topic
  name: guid(topic.id, functionApp.id, serviceBusDataSender)
  properties: {
    roleDefinitionId: serviceBusDataSender
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource functionsReceive 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (s, i) in functionSubscriptions: {
  scope: functionSubscription[i]
  name: guid(functionSubscription[i].id, functionApp.id, serviceBusDataReceiver)
  properties: {
    roleDefinitionId: serviceBusDataReceiver
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource functionsReply 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: replyQueue
  name: guid(replyQueue.id, functionApp.id, serviceBusDataSender)
  properties: {
    roleDefinitionId: serviceBusDataSender
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The CLI sends deployments, deletions and requests to the topic and reads its replies from the reply queue.
resource cliSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for p in cliPrincipalIds: {
  scope: topic
  name: guid(topic.id, p, serviceBusDataSender)
  properties: {
    roleDefinitionId: serviceBusDataSender
    principalId: p
  }
}]

resource cliReceive 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for p in cliPrincipalIds: {
  scope: replyQueue
  name: guid(replyQueue.id, p, serviceBusDataReceiver)
  properties: {
    roleDefinitionId: serviceBusDataReceiver
    principalId: p
  }
}]

// An agent reads its own subscription only, and sends its results and heartbeats to the topic.
resource hostReceive 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (h, i) in hosts: if (!empty(h.?principalId ?? '')) {
  scope: hostSubscription[i]
  name: guid(hostSubscription[i].id, h.?principalId ?? '', serviceBusDataReceiver)
  properties: {
    roleDefinitionId: serviceBusDataReceiver
    principalId: h.principalId
  }
}]

resource hostSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (h, i) in hosts: if (!empty(h.?principalId ?? '')) {
  scope: topic
  name: guid(topic.id, h.?principalId ?? '', serviceBusDataSender)
  properties: {
    roleDefinitionId: serviceBusDataSender
    principalId: h.principalId
  }
}]

output serviceBusNamespace string = parseUri(serviceBus.properties.serviceBusEndpoint).host
output functionAppName string = functionApp.name
output hostSubscriptions array = [for h in hosts: 'host.${h.id}']
