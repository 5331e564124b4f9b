/** The part of npm akamai-edgeauth 0.2.0 (untyped) that the interop tests call. */
declare module 'akamai-edgeauth' {
  interface EdgeAuthOptions {
    key: string;
    tokenName?: string;
    startTime?: number | 'now';
    endTime?: number;
    windowSeconds?: number;
    algorithm?: 'sha256' | 'sha1' | 'md5';
    escapeEarly?: boolean;
    fieldDelimiter?: string;
    aclDelimiter?: string;
    ip?: string;
    sessionId?: string;
    payload?: string;
    salt?: string;
  }
  export default class EdgeAuth {
    constructor(options: EdgeAuthOptions);
    generateACLToken(acl: string | string[]): string;
    generateURLToken(url: string): string;
  }
}
