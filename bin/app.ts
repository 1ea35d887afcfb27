import { createApp } from '../lib/create-app.js';

// Settings come from cdk.json context or `-c key=value` (docs/deploy.md).
createApp();
