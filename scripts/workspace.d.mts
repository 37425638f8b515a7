/** Relative paths of every package folder that pnpm-workspace.yaml names. */
export declare function workspaceDirs(): string[]
