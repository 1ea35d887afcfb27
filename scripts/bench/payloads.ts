/** The installation object of the bench's signed `installation` webhooks (GitHub's shape, minimal). */
export const benchInstallation = (id: number, updatedAt = '2026-01-01T00:00:00Z') => ({
  id,
  account: { login: `org-${id}`, id, type: 'Organization' },
  app_slug: 'bench',
  target_type: 'Organization',
  repository_selection: 'all',
  permissions: { contents: 'write' },
  events: [],
  suspended_at: null,
  updated_at: updatedAt,
});
