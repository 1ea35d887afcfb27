/** Placeholder: filled by the console screens work. */
export function Installations(_props: Record<string, unknown>) {
  return <h1>Installations</h1>;
}
