import type { MiddlewareStack } from '@smithy/types';
import { getServices } from '../../functions/shared/services.js';
import {
  InstallationDeletedError,
  InstallationStore,
  type InstallationDetails,
} from '../../functions/shared/store/installation-store.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * An uninstall must remove every link committed before it (issue 21, D). GSI1 is eventually consistent
 * in AWS; DynamoDB Local's never lags, so the lag is simulated at the service's DynamoDB client: GSI1
 * queries do not see links younger than LAG_MS, as a lagging index would not.
 */
const LAG_MS = 2000;
const LAGGING = 'laggingGsi1';

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
  const stack = getServices().table.client.middlewareStack as unknown as MiddlewareStack<object, object>;
  stack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = (args as { input?: { IndexName?: string } }).input;
      if (context.commandName !== 'QueryCommand' || input?.IndexName !== 'GSI1') return result;
      const output = result.output as { Items?: Array<Record<string, unknown>>; Count?: number };
      const linkedAt = (item: Record<string, unknown>) => {
        const value = item.linkedAt as string | { S?: string } | undefined;
        return typeof value === 'string' ? value : value?.S;
      };
      output.Items = output.Items?.filter((item) => {
        const at = linkedAt(item);
        return at === undefined || Date.parse(at) < Date.now() - LAG_MS;
      });
      output.Count = output.Items?.length;
      return result;
    },
    { step: 'initialize', name: LAGGING },
  );
});
afterAll(async () => {
  getServices().table.client.middlewareStack.remove(LAGGING);
  await fx?.close();
});

const appId = () => Number(fx.secrets.githubApp.appId);
const linkItem = (accountId: string, installationId: number) =>
  fx.table.table.get({ PK: `ACCOUNT#${accountId}`, SK: `INSTALLATION#${installationId}` });

async function install(login: string): Promise<InstallationDetails> {
  await fx.admin.createUser({ login, type: 'Organization' });
  const { installation } = (await fx.admin.install({ appId: appId(), account: login })) as {
    installation: { id: number };
  };
  const details = await new InstallationStore(fx.table.table).getDetails(installation.id);
  if (!details) throw new Error('the created delivery was not applied');
  return details;
}

/** A link as the link route writes it (the service's own store and client). */
const link = (details: InstallationDetails, accountId: string) =>
  new InstallationStore(getServices().table).linkWithDetails(details, accountId, 1, { writeDetails: false });

it('a link committed just before the uninstall, not yet in GSI1, is removed', async () => {
  const details = await install('race-org-0');
  await link(details, 'race-account-0');
  await fx.admin.uninstall(details.id);
  expect(await linkItem('race-account-0', details.id)).toBeUndefined();
});

it('links racing the uninstall: each is refused or removed, none survives beside the tombstone', async () => {
  const survivors: string[] = [];
  for (let index = 1; index <= 8; index++) {
    const details = await install(`race-org-${index}`);
    const accounts = [`race-a-${index}`, `race-b-${index}`, `race-c-${index}`];
    const linking = accounts.map(async (accountId, order) => {
      await new Promise((resolve) => setTimeout(resolve, order * 3));
      return link(details, accountId).catch((error: unknown) => {
        if (!(error instanceof InstallationDeletedError)) throw error;
      });
    });
    await Promise.all([...linking, fx.admin.uninstall(details.id)]);
    for (const accountId of accounts)
      if (await linkItem(accountId, details.id)) survivors.push(`${accountId} → ${details.id}`);
  }
  expect(survivors).toEqual([]);
});
