import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { GitHubError, notFound } from '../errors.js';
import { escapeHtml, page, redirectTo, stringField, type EmulatorResponse, type Route } from '../http.js';
import type { EmulatedApp, Permissions, World } from '../world.js';

/**
 * GitHub's App manifest flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
 * a form posts `manifest` to /settings/apps/new, GitHub creates the App and sends the browser to the
 * manifest's `redirect_url` with a one-hour, single-use `code`, which POST /app-manifests/{code}/conversions
 * exchanges for the App's credentials. Here the owner comes from `login=`, as on the emulator's other pages.
 */
type Pending = { app: EmulatedApp; pem: string; webhookSecret: string; expiresAt: number };

const CODE_SECONDS = 3600;
const pendingByWorld = new WeakMap<World, Map<string, Pending>>();

function pending(world: World): Map<string, Pending> {
  let codes = pendingByWorld.get(world);
  if (!codes) {
    codes = new Map<string, Pending>();
    pendingByWorld.set(world, codes);
  }
  return codes;
}

type Manifest = {
  name?: unknown;
  url?: unknown;
  redirect_url?: unknown;
  callback_urls?: unknown;
  setup_url?: unknown;
  setup_on_update?: unknown;
  request_oauth_on_install?: unknown;
  hook_attributes?: { url?: unknown; active?: unknown };
  default_permissions?: unknown;
  default_events?: unknown;
};

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const invalid = (message: string): EmulatorResponse => ({
  ...page('Invalid manifest', `<p>${escapeHtml(message)}</p>`),
  status: 422,
});

export const appManifestRoutes: Route[] = [
  {
    method: 'POST',
    template: '/settings/apps/new',
    kind: 'web',
    handle: (request, { world }) => {
      const login = request.url.searchParams.get('login');
      const owner = login ? world.accountByLogin(login) : undefined;
      if (!owner) return invalid('Sign in first (login=).');
      let manifest: Manifest;
      try {
        manifest = JSON.parse(stringField(request.body, 'manifest') ?? '') as Manifest;
      } catch {
        return invalid('The manifest is not JSON.');
      }
      const name = text(manifest.name);
      const redirectUrl = text(manifest.redirect_url);
      if (!name || !text(manifest.url) || !redirectUrl)
        return invalid('name, url (the homepage) and redirect_url are required.');
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const webhookSecret = randomBytes(20).toString('hex');
      const app = world.registerApp({
        slug: name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, ''),
        name,
        owner: owner.login,
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        ...(text(manifest.hook_attributes?.url) && manifest.hook_attributes?.active !== false
          ? { webhookUrl: text(manifest.hook_attributes?.url), webhookSecret }
          : {}),
        callbackUrls: Array.isArray(manifest.callback_urls) ? manifest.callback_urls.map(String) : [],
        ...(text(manifest.setup_url) ? { setupUrl: text(manifest.setup_url) } : {}),
        requestOAuthOnInstall: manifest.request_oauth_on_install === true,
        ...(typeof manifest.default_permissions === 'object' && manifest.default_permissions
          ? { permissions: manifest.default_permissions as Permissions }
          : {}),
        ...(Array.isArray(manifest.default_events) ? { events: manifest.default_events.map(String) } : {}),
      });
      const code = randomBytes(20).toString('hex');
      pending(world).set(code, {
        app,
        pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        webhookSecret,
        expiresAt: world.clock.nowMs() + CODE_SECONDS * 1000,
      });
      const back = new URL(redirectUrl);
      back.searchParams.set('code', code);
      const state = request.url.searchParams.get('state');
      if (state) back.searchParams.set('state', state);
      return redirectTo(back.toString());
    },
  },
  {
    method: 'POST',
    template: '/app-manifests/{code}/conversions',
    kind: 'rest',
    handle: (request, { world, serializer }) => {
      const codes = pending(world);
      const code = request.params.code ?? '';
      const found = codes.get(code);
      codes.delete(code);
      if (!found) throw notFound();
      if (found.expiresAt <= world.clock.nowMs()) throw new GitHubError(422, 'Validation Failed');
      return {
        status: 201,
        body: {
          ...serializer.app(found.app),
          client_id: found.app.clientId,
          client_secret: found.app.clientSecret,
          webhook_secret: found.app.webhookUrl ? found.webhookSecret : null,
          pem: found.pem,
        },
      };
    },
  },
];
