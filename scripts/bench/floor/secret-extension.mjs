// The floor's secret read through the AWS Parameters and Secrets Lambda extension (loopback HTTP).
import { get } from 'node:http';

export function readSecret(arn) {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
  const path = `/secretsmanager/get?secretId=${encodeURIComponent(arn)}`;
  return new Promise((resolve, reject) => {
    get(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text).SecretString)
            : reject(new Error(`extension answered ${res.statusCode}`)),
        );
      },
    ).on('error', reject);
  });
}
