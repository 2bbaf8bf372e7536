/** AWS adapters of the core's ports, shared by the Lambda handlers and the Fargate service. */
export { createDocumentClient, DynamoDbSettingsStore, dynamoSettingsStore, type DynamoDbSettingsStoreOptions } from './dynamodb-settings-store.js';
export { readSecretParameter, readSecureParameters, resolveSecretParameters, SECRET_VARIABLES, type SecretVariable } from './ssm-parameters.js';
