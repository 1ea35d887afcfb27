/** Placeholder: filled by the console screens work. */
export function NewAccount() {
  return <h1>Create an account</h1>;
}
export function AccountOverview(_props: { accountId: string }) {
  return <h1>Account</h1>;
}
