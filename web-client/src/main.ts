/** Entry point: defines every element; index.html holds the one <deckcast-app>. */
import "./elements/deckcast-app.ts";
