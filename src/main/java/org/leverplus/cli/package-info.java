/** The {@code lever} command line: picocli commands that parse options and call one library class each. */
package org.leverplus.cli;
