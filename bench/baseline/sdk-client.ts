import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

// The init baseline: the barest useful DynamoDB Lambda, one client built at init and one
// GetItem per invocation, bundled with the project's bundler options like every function.

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: { id: string }) =>
  client.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: `user#${event.id}`, sk: 'user' } }));
