// Types of bin/bundle.mjs (plain JavaScript: the command starts there, before TypeScript can load).
export declare const ENTRIES: ReadonlyArray<{ entry: string; name: string; splitting: boolean; require?: readonly string[]; inline?: readonly string[] }>;
export declare function cacheDir(root?: string): string;
export declare function bundleListed(name: string): Promise<{ url: URL; built: boolean }>;
export declare function bundle(entry: string, name: string, options?: { splitting?: boolean; require?: readonly string[]; inline?: readonly string[]; root?: string }): Promise<{ url: URL; built: boolean }>;
