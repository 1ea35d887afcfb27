/** Placeholder: filled by the console screens work. */
export function Home(_props: Record<string, unknown>) {
  return <h1>Home</h1>;
}
