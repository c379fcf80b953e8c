import java.util.HashMap;

/** A JWSGI app: uWSGI's jvm and jwsgi plugins call `application` for each request (Procfile `jwsgi: Hello`). */
public class Hello {
  public static Object[] application(HashMap<String, Object> env) {
    HashMap<String, Object> headers = new HashMap<>();
    headers.put("Content-Type", "text/plain");
    String body = "hello from jwsgi as " + System.getProperty("user.name") + ", " + env.get("PATH_INFO") + "\n";
    return new Object[] { 200, headers, body };
  }
}
