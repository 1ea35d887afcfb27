import { useState } from 'preact/hooks';

/**
 * A GitHub avatar beside a login (decorative: the login is written next to it, so alt=""). Without
 * a URL, or when the picture does not load, the login's first letter stands in for it.
 */
export function Avatar({
  url,
  name,
  size = 24,
}: {
  url: string | null | undefined;
  name: string;
  size?: number;
}) {
  const [failed, setFailed] = useState(false);
  const style = { width: `${size}px`, height: `${size}px` };
  if (!url || failed)
    return (
      <span class="avatar avatar-letter" style={style} aria-hidden="true">
        {name.slice(0, 1).toUpperCase()}
      </span>
    );
  return (
    <img
      class="avatar"
      src={url}
      alt=""
      width={size}
      height={size}
      loading="lazy"
      referrerpolicy="no-referrer"
      onError={() => setFailed(true)}
    />
  );
}
