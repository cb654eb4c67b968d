# Turn a text file into a C source with one function returning it, so the
# operations page ships inside the rnr binary (no files to install, no CDN).
#   cmake -DIN=page.html -DOUT=page.c -DFUNC=ops_page_html -P embed_file.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by cmake/embed_file.cmake; do not edit. */\n"
  "static const char data[] = {${bytes}0x00};\n"
  "const char *${FUNC}(void);\n"
  "const char *${FUNC}(void) { return data; }\n")
