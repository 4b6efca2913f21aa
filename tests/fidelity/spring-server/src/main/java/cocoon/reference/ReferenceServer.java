package cocoon.reference;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A real Spring Security OAuth2 2.4.0.RELEASE authorization server configured as the Cocoon
 * platform is (see README.md beside pom.xml). Started by the tests with
 * {@code java -jar target/reference-server.jar --server.port=N --cocoon.data=FILE}.
 */
@SpringBootApplication
public class ReferenceServer {

    public static void main(String[] args) {
        SpringApplication.run(ReferenceServer.class, args);
    }
}
