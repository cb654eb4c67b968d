/* ops_page.h - the operations page (src/services/ops_page.html), compiled
 * into the binary by cmake/embed_file.cmake. */
#ifndef RNR_SERVICES_OPS_PAGE_H
#define RNR_SERVICES_OPS_PAGE_H

/* The whole page, NUL-terminated, static. */
const char *ops_page_html(void);

#endif
