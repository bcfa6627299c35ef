/**
 * The public API of dugong-java: {@link io.dugong.HttpConnection} (one pipelined connection with a
 * sender half and a reader half), {@link io.dugong.Pipeline} (a connection driven by two virtual
 * threads), {@link io.dugong.DugongClient} (pools of pipelines for many origins and threads), their
 * values ({@link io.dugong.Request}, {@link io.dugong.Body}, {@link io.dugong.ResponseHead},
 * {@link io.dugong.Response}, {@link io.dugong.Headers}) and exceptions. The classes here that are not
 * public are the connection's internals: the shared exchange state machine, the sender and reader halves.
 */
package io.dugong;
