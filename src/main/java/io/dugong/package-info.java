/**
 * The public API of dugong-java: {@link io.dugong.HttpConnection}, its values and exceptions.
 */
package io.dugong;
