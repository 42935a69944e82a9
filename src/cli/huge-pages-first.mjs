// Import this first in an entry point: where huge pages help, the command runs again in a child
// with them and this process exits with its status before the entry point's other modules run
// (ES modules evaluate in order, and this one awaits). See huge-pages.mjs.
import { withHugePages } from './huge-pages.mjs';

await withHugePages();
