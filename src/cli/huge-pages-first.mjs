// Preload for entry points: `node --import ./src/cli/huge-pages-first.mjs ...` (the benchmark
// scripts). Where huge pages help, the command runs again in a child with them and this process
// exits with its status before the entry point loads: preloads finish first. (A static import
// would not do: sibling modules evaluate while it awaits.) See huge-pages.mjs.
import { withHugePages } from './huge-pages.mjs';

await withHugePages();
