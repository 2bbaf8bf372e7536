/** AWS adapters of the core's ports, shared by the Lambda handlers and the Fargate service. */
export { createDocumentClient, DynamoDbSettingsStore, dynamoSettingsStore, type DynamoDbSettingsStoreOptions } from './dynamodb-settings-store.js';
export { readSecretParameter, readSecureParameters, resolveSecretParameters } from './ssm-parameters.js';
export { SECRET_VARIABLES, secretParametersToRead, type SecretVariable } from './secret-variables.js';
