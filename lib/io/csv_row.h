/* csv_row.h - splitting one line of a plain CSV in place.
 *
 * The kernel oracle tables, the reference segment files and the `rnr route`
 * inputs are written without quoting, so every comma separates two fields;
 * this reader assumes that and does no unquoting. */
#ifndef RNR_IO_CSV_ROW_H
#define RNR_IO_CSV_ROW_H

/* Cut line at its first '\r' or '\n', then split it on commas in place:
 * fields[i] points into line. Stores at most max fields and returns how
 * many it stored; a line with more fields loses the rest, so a caller that
 * must reject extra fields passes one more than it expects. */
int csv_split_row(char *line, char **fields, int max);

/* Index of the field equal to name among fields[0..n), or -1. */
int csv_find_col(char *const *fields, int n, const char *name);

#endif
