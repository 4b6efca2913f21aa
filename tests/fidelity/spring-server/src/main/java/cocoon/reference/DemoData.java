package cocoon.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;

/**
 * The emulator's clients and users (the shape of access_service/demo_data.json), with their
 * plain secrets and passwords from a second file (the data file holds only werkzeug hashes,
 * which Spring cannot check): {@code cocoon.data} and {@code cocoon.secrets}.
 */
@Component
public class DemoData {

    public record ClientRecord(
            String clientId,
            String secret,
            Set<String> grantTypes,
            Set<String> redirectUris,
            Set<String> postLogoutRedirectUris,
            List<String> scope,
            boolean autoApprove,
            int accessTokenValidity,
            int refreshTokenValidity) {}

    /** A user, and the account GET /api/v1/users/me shows (the emulator's fields). */
    public record UserRecord(
            String username, String password, List<String> authorities, Map<String, Object> account) {}

    public final List<ClientRecord> clients = new ArrayList<>();
    public final List<UserRecord> users = new ArrayList<>();

    public DemoData(
            @Value("${cocoon.data}") Path data, @Value("${cocoon.secrets:}") String secretsFile)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(Files.readString(data));
        Map<String, String> secrets;
        try (InputStream in =
                secretsFile.isEmpty()
                        ? new ClassPathResource("demo-secrets.json").getInputStream()
                        : Files.newInputStream(Path.of(secretsFile))) {
            secrets = json.readValue(in, json.getTypeFactory().constructMapType(Map.class, String.class, String.class));
        }
        for (JsonNode client : root.path("clients")) {
            String id = client.path("client_id").asText();
            clients.add(
                    new ClientRecord(
                            id,
                            required(secrets, id),
                            strings(client.path("authorized_grant_types")),
                            strings(client.path("registered_redirect_uris")),
                            strings(client.path("post_logout_redirect_uris")),
                            new ArrayList<>(strings(client.path("scope"))),
                            client.path("auto_approve").asBoolean(false),
                            client.path("access_token_validity_seconds").asInt(43200),
                            client.path("refresh_token_validity_seconds").asInt(2592000)));
        }
        for (JsonNode user : root.path("users")) {
            String name = user.path("username").asText();
            List<String> authorities = new ArrayList<>(strings(user.path("authorities")));
            Map<String, Object> account = new LinkedHashMap<>();
            account.put("id", text(user, "id"));
            account.put("externalUserId", text(user, "external_user_id"));
            account.put("email", name);
            account.put("firstName", text(user, "first_name"));
            account.put("lastName", text(user, "last_name"));
            account.put("otherName", text(user, "other_name"));
            account.put("mobileNumber", text(user, "mobile_number"));
            account.put("roles", authorities.stream().filter(a -> a.startsWith("ROLE_")).toList());
            account.put("mfaEnabled", user.path("mfa_enabled").asBoolean(false));
            users.add(new UserRecord(name, required(secrets, name), authorities, account));
        }
    }

    public ClientRecord client(String clientId) {
        return clients.stream().filter(c -> c.clientId().equals(clientId)).findFirst().orElse(null);
    }

    public UserRecord user(String username) {
        return users.stream().filter(u -> u.username().equals(username)).findFirst().orElse(null);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String required(Map<String, String> secrets, String name) {
        String secret = secrets.get(name);
        if (secret == null) {
            throw new IllegalArgumentException("no secret or password for " + name);
        }
        return secret;
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> values = new LinkedHashSet<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }
}
