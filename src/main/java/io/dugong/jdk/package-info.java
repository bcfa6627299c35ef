/**
 * A drop-in {@link java.net.http.HttpClient}: {@link io.dugong.jdk.DugongHttpClient} runs code written
 * for the JDK's client over dugong's pipelined HTTP/1.1 connections.
 */
package io.dugong.jdk;
