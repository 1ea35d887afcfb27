/**
 * What a log scan looks for: the start of any GitHub token format (ghu_/ghr_/ghs_ old and new
 * `ghs_<appId>_<JWT>`, gho_/ghp_/ghv_, github_pat_) or of a JWT. A redacted log holds none of them.
 */
export const TOKEN_IN_LOGS =
  /(?<![A-Za-z0-9])(?:gh[opsuvr]_[A-Za-z0-9]|github_pat_[A-Za-z0-9]|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.)/;
