/**
 * The Java source of a launcher for DynamoDB Local (compiled once by `dynamodb.ts` when a JDK is
 * present): DynamoDB Local as its own main class starts it, same flags, but listening on
 * 127.0.0.1 only. DynamoDB Local has no flag for the address and binds every interface, where
 * anyone on the network could read and change the registry's data. The launcher also stops
 * when its parent's end of stdin closes, so a Node process killed outright (SIGKILL) leaves no
 * Java behind.
 *
 * Kept as a string rather than a `.java` file beside this one so nothing has to locate it on
 * disk (the Jest global setup loads this module as CommonJS, without `import.meta`).
 */
export const LOOPBACK_LAUNCHER_CLASS = 'DynamoDbLoopback';

export const LOOPBACK_LAUNCHER_SOURCE = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

class DynamoDbLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    for (Connector connector : ((Server) field.get(proxy)).getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Nothing is sent; only the end matters.
        }
      } catch (java.io.IOException e) {
        // A broken pipe is an end too.
      }
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    proxy.join();
  }
}
`;
