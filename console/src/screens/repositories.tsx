/** Placeholder: filled by the console screens work. */
export function Repositories(_props: { accountId: string }) {
  return <h1>Repositories</h1>;
}
export function NewRepository(_props: { accountId: string }) {
  return <h1>Create a repository</h1>;
}
